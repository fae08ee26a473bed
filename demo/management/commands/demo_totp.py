from django.core.management.base import BaseCommand, CommandError

from demo.management.commands._demo import current_code, refuse_in_production
from marac.models import User
from marac.second_factor import AuthenticatorApp

SIGN_IN = "http://127.0.0.1:8000/sign-in/"


class Command(BaseCommand):
    help = "Print a demo account's current security code (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="")

    def handle(self, *args, username, **options):
        refuse_in_production()
        # CommandError: manage.py prints the message alone and exits with 1, no traceback.
        if not username:
            raise CommandError("Name the account, for example: make demo-code ACCOUNT=coordinator")
        if not User.objects.filter(username=username).exists():
            raise CommandError(f"There is no account called {username!r}. `make run` prints the demo accounts.")
        device = AuthenticatorApp.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(not_enrolled(username))
        self.stdout.write(current_code(device))


def not_enrolled(username: str) -> str:
    return (
        f"{username} has not set up security codes yet, so there is no code to print.\n"
        f"Sign in as {username} at {SIGN_IN} with the demo password: the first sign-in shows a QR code\n"
        "and a key to add to an authenticator app, then asks for the 6-digit code the app shows.\n"
        f"Once that is done, `make demo-code ACCOUNT={username}` prints their current code."
    )
