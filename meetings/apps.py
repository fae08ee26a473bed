from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """MARAC meetings: agenda, research returns, attendance, minutes, actions and PDF packs."""

    name = "meetings"
    verbose_name = "MARAC meetings"
