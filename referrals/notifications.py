"""Who is told about a referral's decision (marac/notices.py): the workers allocated to the case
(referrals.teams), with a link to the referral's page and its conversation with the coordinator."""

from django.urls import reverse

from marac.models import NoticeKind, User
from marac.notices import notify
from referrals import teams
from referrals.models import Referral


def referral_decided(referral: Referral, *, by: User) -> None:
    """A request for more information is told each time it is asked (the referral can come back
    and be asked again); an acceptance or a decline once."""
    if referral.status == Referral.Status.MORE_INFO:
        kind, subject_key = NoticeKind.MORE_INFO, f"referral:{referral.pk}:asked:{referral.decided_at:%Y%m%d%H%M%S%f}"
    else:
        kind, subject_key = NoticeKind.REFERRAL_DECIDED, f"referral:{referral.pk}"
    notify(
        kind=kind,
        subject_key=subject_key,
        # The workers on the case now (ADR 0019), not whoever referred it: they may have been
        # taken off it, and a colleague at the same agency who is not on it is told nothing.
        users=teams.case_team(referral.case),
        url=reverse("referral-detail", args=[referral.pk]),
        by=by,
        # Only while they still refer for that agency in the case's area: not once they have left.
        area_id=referral.case.area_id,
        agency_ids=[referral.case.referring_agency_id],
    )
