from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Cases, victims, perpetrators, risk assessments, referrals, incidents, repeats, transfers.
    Built by later issues on marac's security core (DESIGN.md section 3)."""

    name = "referrals"

    def ready(self) -> None:
        # The referrer's and the coordinator's items on the home page's work list (marac.worklist).
        from referrals import worklist

        worklist.register()
        # Each area's criteria for other risk tools, in the admin beside its other settings (ADR 0024).
        from referrals import risk_tool_admin

        risk_tool_admin.register()
        # Children whose school has not been told (Operation Encompass), for the same people.
        from referrals import encompass

        encompass.register()
        # Retention and legal holds (ADR 0027): the coordinator's and chair's work list items and
        # the case page's section on holds.
        from referrals import retention

        retention.register()
        # A membership that stops justifying an allocation ends it for good (ADR 0019).
        from django.db.models.signals import post_save

        from marac.models import Membership

        post_save.connect(_membership_saved, sender=Membership, dispatch_uid="referrals_allocations_follow_membership")


def _membership_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:  # a new membership has no allocations; fixtures load as they are
        return
    from referrals.teams import allocations_end_for_membership

    allocations_end_for_membership(membership=instance)
