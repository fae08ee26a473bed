from django.conf import settings
from django.core.management.base import CommandError


def refuse_in_production() -> None:
    """Demo data and printed second-factor secrets must never reach a live service."""
    if settings.MARAC_ENV == "production":
        raise CommandError("This command is for development only and refuses to run in production.")
