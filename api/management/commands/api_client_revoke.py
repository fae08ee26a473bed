"""manage.py api_client_revoke --name N (or --client-id ID)

Turns a partner client off at once: its tokens stop working on their next call."""

from django.core.management.base import BaseCommand, CommandError

from api.clients import partner_client_revoke
from api.models import PartnerClient


class Command(BaseCommand):
    help = "Revoke a partner API client: its tokens stop working at once."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--name", help="The client's name.")
        which.add_argument("--client-id", help="The client id api_client_add printed.")

    def handle(self, *args, name: str | None, client_id: str | None, **options):
        clients = PartnerClient.objects.filter(name=name) if name else PartnerClient.objects.filter(application__client_id=client_id)
        client = clients.first()
        if client is None:
            raise CommandError("No such partner client.")
        if not client.is_active:
            self.stdout.write(f"Partner client {client.name!r} was already revoked.")
            return
        partner_client_revoke(client=client, by=None)
        self.stdout.write(f"Partner client {client.name!r} revoked: its tokens no longer work.")
