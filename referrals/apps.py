from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Cases, victims, perpetrators, risk assessments, referrals, incidents, repeats, transfers.
    Built by later issues on marac's security core (DESIGN.md section 3)."""

    name = "referrals"

    def ready(self) -> None:
        # The referrer's and the coordinator's items on the home page's work list (marac.worklist).
        from referrals import worklist

        worklist.register()
