from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.management.commands._demo import current_code, refuse_in_production


class Command(BaseCommand):
    help = "Print a demo account's current security code (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        refuse_in_production()
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator set up (or does not exist).")
        self.stdout.write(current_code(device))
