from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """MARAC meetings: agenda, research returns, attendance, minutes, actions and PDF packs.
    Part of the `marac` package (DESIGN 3) but its own app, so its tables and migrations follow
    the referrals they are built from."""

    name = "marac.meetings"
    label = "meetings"
    verbose_name = "MARAC meetings"
