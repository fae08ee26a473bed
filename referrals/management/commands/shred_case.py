from django.core.management.base import BaseCommand, CommandError

from referrals.models import Case
from referrals.services import case_shred


class Command(BaseCommand):
    help = "Erase a case for good by destroying its data key (crypto-shredding). Cannot be undone."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="the case reference, e.g. NWL-2026-0001")
        parser.add_argument("--yes", action="store_true", help="confirm: the case's records become unreadable for ever")

    def handle(self, *args, reference, yes, **options):
        case = Case.objects.select_related("data_key").filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference}.")
        if case.is_shredded:
            raise CommandError(f"{reference} was already erased.")
        if not yes:
            raise CommandError(f"This erases {reference} for ever. Run again with --yes to confirm.")
        case_shred(case=case, by=None)
        self.stdout.write(f"{reference} erased: its data key and blind-index entries are destroyed; its reference and audit trail remain.")
