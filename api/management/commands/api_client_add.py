"""manage.py api_client_add --name N --agency A --area CODE [--area CODE ...]

Adds a partner client and prints its client id and secret, once: only a hash of the secret is
kept, so a lost secret means revoking the client and adding a new one (docs/partner-api.md)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.clients import partner_client_add
from marac.models import Agency, MaracArea


class Command(BaseCommand):
    help = "Add a partner API client for one agency and its areas; prints the client id and secret once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The partner system, as administrators will know it.")
        parser.add_argument("--agency", required=True, help="The agency's name (exactly as in the admin).")
        parser.add_argument("--area", action="append", required=True, help="A MARAC area's short code; repeat for each area.")

    def handle(self, *args, name: str, agency: str, area: list[str], **options):
        found = Agency.objects.filter(name=agency).first()
        if found is None:
            raise CommandError(f"No agency is named {agency!r}.")
        codes = sorted(set(area))
        areas = list(MaracArea.objects.filter(short_code__in=codes))
        missing = sorted(set(codes) - {a.short_code for a in areas})
        if missing:
            raise CommandError(f"No area has the short code: {', '.join(missing)}.")
        try:
            client, client_id, secret = partner_client_add(name=name, agency=found, areas=areas, by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Partner client {client.name!r} added for {found.name} in {', '.join(codes)}.")
        self.stdout.write(f"client_id={client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stdout.write("Give the secret to the partner system now: it is stored only as a hash and cannot be shown again.")
