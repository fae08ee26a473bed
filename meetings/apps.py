from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """MARAC meetings: agenda, research returns, attendance, minutes, actions and PDF packs."""

    name = "meetings"
    verbose_name = "MARAC meetings"

    def ready(self) -> None:
        # What meetings add to referrals, which knows nothing of meetings (DESIGN 3): the
        # representative's grant to the cases on an agenda, and the case page's meeting sections;
        # and its items on the home page's work list (marac.worklist).
        from meetings import contributions, worklist

        contributions.register()
        worklist.register()
