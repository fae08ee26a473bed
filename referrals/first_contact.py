"""First contact with the victim (issue 18, ADR 0028): the date an IDVA first reached her after a
referral, which the partnership's measures count from (reports/measures.py).

Who is an IDVA here: someone whose tie to the case comes through an agency of the IDVA kind,
either the referrer allocated to the case at the agency that referred it, when that agency is an
IDVA service, or a representative of an IDVA agency in the case's area at a meeting hearing the
case (who, to have that relationship at all, accepted its confidentiality statement). Nobody
else records it: the coordinator sees it, and corrects it only through an IDVA.

The date is plain (the measures aggregate it in SQL) and says when, never who she is or how she
was reached. It is recorded on the referral, whose history keeps every correction, with who
recorded it and when; each recording and correction is logged.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import audit
from marac.history import acting
from marac.models import AgencyKind, Role, User
from marac.security.policy import Rel
from marac.viewer import Viewer
from referrals.models import Case, Referral

NOT_SUBMITTED = "This referral has not been submitted, so there is no first contact to record yet"
RECORDED_MEANWHILE = (
    "Someone else recorded a date of first contact while you had this page open, so nothing was saved: check it, then save again"
)
UNCHECKED = object()  # first_contact_record's `seen` when the caller did not show a date (the demo)


def is_idva_for(viewer: Viewer, case: Case, relationships: set[Rel]) -> bool:
    """Whether the person is an IDVA on this case (see the module's docstring). No query for a
    referrer: the viewer holds the memberships with their agencies, and the getter loaded the
    case's agency; one for a representative of an IDVA agency (which agency they heard it for)."""
    if Rel.REFERRER in relationships and case.referring_agency.kind == AgencyKind.IDVA:
        return True
    if Rel.MEETING_REP not in relationships:
        return False
    # The representative's grant may come through another agency they represent (a worker who
    # represents housing and an IDVA service, at the meeting for housing): it must be the IDVA
    # agency they attended for, still invited, at a meeting of the case's area listing the case.
    # One query, only for a representative of an IDVA agency in the area.
    idva = {m.agency_id for m in viewer.memberships_for(Role.AGENCY_REP) if m.area_id == case.area_id and m.agency.kind == AgencyKind.IDVA}
    if not idva:
        return False
    attended = Q(pk__in=[])
    for agency_id in sorted(idva):
        attended |= Q(meeting__attendances__agency_id=agency_id, meeting__invited_agencies=agency_id)
    heard = case.agenda_items.filter(attended, meeting__area_id=case.area_id, meeting__attendances__user=viewer.user, removed_at=None)
    return heard.exists()


def first_contact_error(referral: Referral, on: date | None, today: date) -> str | None:
    """Why a date cannot be the first contact for this referral, or None if it can."""
    if referral.submitted_on is None or referral.status == Referral.Status.DRAFT:
        return NOT_SUBMITTED
    if on is None:
        return "Enter the date of first contact"
    if on > today:
        return "The date of first contact must be today or in the past"
    if on < referral.submitted_on:
        return f"The date of first contact cannot be before the referral was submitted ({referral.submitted_on:%-d %B %Y})"
    return None


@transaction.atomic
def first_contact_record(*, referral: Referral, on: date, by: User, today: date, seen: date | None | object = UNCHECKED) -> Referral:
    """Record (or correct) the date of first contact. The referral's history keeps the earlier
    date and who recorded it; the access log says whether it was recorded or corrected. `seen` is
    the date (or None) the form showed: if another IDVA recorded one since, nothing is saved, so
    nobody replaces a date they never saw."""
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.case.is_shredded:
        raise ValidationError("This case has been erased")
    if seen is not UNCHECKED and referral.first_contact_on != seen:
        raise ValidationError(RECORDED_MEANWHILE)
    if error := first_contact_error(referral, on, today):
        raise ValidationError(error)
    corrected = referral.first_contact_on is not None
    if corrected and referral.first_contact_on == on:
        raise ValidationError("That is the date already recorded")
    referral.first_contact_on, referral.first_contact_by, referral.first_contact_recorded_at = on, by, timezone.now()
    acting(referral, by)
    referral.full_clean(exclude=[f.name for f in Referral.encrypted_fields()])
    referral.save()
    audit.record(
        event="first_contact_corrected" if corrected else "first_contact_recorded",
        user=by,
        case_reference=referral.case.reference,
        purpose=f"referral {referral.pk}",
    )
    return referral
