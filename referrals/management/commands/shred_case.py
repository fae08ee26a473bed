from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

import audit
from referrals.models import Case, LegalHold
from referrals.services import case_shred


class Command(BaseCommand):
    help = "Erase a case for good by destroying its data key (crypto-shredding). Cannot be undone. Refused under a legal hold."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="the case reference, e.g. NWL-2026-0001")
        parser.add_argument("--yes", action="store_true", help="confirm: the case's records become unreadable for ever")

    def _refuse(self, case: Case, why: str) -> None:
        audit.record(event="case_shred_refused", case_reference=case.reference, purpose=f"shred_case command: {why}", outcome="denied")
        raise CommandError(f"{case.reference} is not erased: {why}.")

    def handle(self, *args, reference, yes, **options):
        case = Case.objects.select_related("data_key").filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference}.")
        if case.is_shredded:
            raise CommandError(f"{reference} was already erased.")
        # A legal hold (a homicide review, litigation, a subject access request) keeps the case
        # whoever asks (ADR 0027): the area's coordinator or chair lifts it first. The service
        # checks again under the case's lock, so a hold placed meanwhile still stops it.
        if LegalHold.objects.filter(case=case, lifted_at=None).exists():  # not its kind: the log says no more than that
            self._refuse(case, "a legal hold is in force; the area's coordinator or chair must lift it first")
        if not yes:
            raise CommandError(f"This erases {reference} for ever. Run again with --yes to confirm.")
        try:
            case_shred(case=case, by=None)
        except ValidationError as error:
            self._refuse(case, error.messages[0])
        self.stdout.write(f"{reference} erased: its data key and blind-index entries are destroyed; its reference and audit trail remain.")
