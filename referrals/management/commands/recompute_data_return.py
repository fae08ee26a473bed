"""Work out the data return's plain columns again from the records: each referral's repeat flags
as they stood when it was made (from the case's earlier referrals and incidents), and each
victim's age band from their date of birth. Run once after upgrading to the release that added
them (ADR 0012), and whenever incidents were back-dated. Cross-area matches at the time of an
old referral cannot be known now, so this keeps a flag already set and only adds."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

import audit
from marac.models import RepeatDefinition
from marac.periods import add_months
from referrals import rules
from referrals.models import Case, Referral, Victim
from referrals.services import age_band_on

REFERRED = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


class Command(BaseCommand):
    help = "Recompute referrals' repeat flags and victims' age bands for NI 32 and the data return."

    def handle(self, *args, **options):
        flagged = sum(self.recompute_case(case) for case in Case.objects.exclude(status=Case.Status.SHREDDED).iterator())
        banded = self.recompute_age_bands()
        audit.record(event="data_return_recomputed", purpose=f"{flagged} referral flags, {banded} age bands changed")
        self.stdout.write(f"Changed {flagged} referrals' repeat flags and {banded} victims' age bands.")

    @transaction.atomic
    def recompute_case(self, case: Case) -> int:
        referrals = list(case.referrals.filter(status__in=REFERRED, submitted_on__isnull=False).order_by("submitted_on", "pk"))
        incidents = list(case.incidents.values_list("occurred_on", "kind"))
        changed, previous = 0, None
        for referral in referrals:
            flags = {
                definition: previous is not None
                and referral.submitted_on <= add_months(previous, rules.REPEAT_WINDOW_MONTHS)
                and any(
                    rules.is_repeat(last_referral=previous, incident=on, kind=kind, definition=definition)
                    for on, kind in incidents
                    if on <= referral.submitted_on
                )
                for definition in RepeatDefinition.values
            }
            current = flags[RepeatDefinition.CURRENT] or referral.repeat_current
            ni32 = flags[RepeatDefinition.NI32_2008] or referral.repeat_ni32
            if (current, ni32) != (referral.repeat_current, referral.repeat_ni32):
                # Plain columns only: an update, as a migration would, without re-encrypting the row.
                Referral.objects.filter(pk=referral.pk).update(repeat_current=current, repeat_ni32=ni32)
                changed += 1
            previous = referral.submitted_on
        return changed

    def recompute_age_bands(self) -> int:
        today, changed = timezone.localdate(), 0
        for victim in Victim.objects.exclude(case__status=Case.Status.SHREDDED).select_related("case__data_key").iterator(chunk_size=500):
            band = age_band_on(victim.date_of_birth, today)
            if band != victim.age_band:
                Victim.objects.filter(pk=victim.pk).update(age_band=band)
                changed += 1
        return changed
