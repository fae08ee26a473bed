"""Fetching referrals and actions for a partner client. Views never fetch either by id.

A client sees a referral it submitted while its service account still holds the referrer
relationship to the case (referrals.access: a referrer membership at the agency in the area, and
a place on the case team), and an action its agency owns in one of its areas once the minutes
agreeing it are issued. Anything else, another client's or agency's included, is a 404 exactly
like an id that exists nowhere, logged as denied through marac.refusals.
"""

import uuid

from django.db.models import QuerySet

from api.models import PartnerClient, PartnerReferral
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import Rel
from marac.viewer import Viewer
from meetings.models import Action, Meeting
from referrals import selectors
from referrals.access import referrer_scope, relationships_to_case
from referrals.models import Case

PARTNER_REFERRAL_RELATED = ("referral__case__area", "referral__case__data_key", "referral__assessment", "referral__case__referring_agency")


def partner_referrals(viewer: Viewer, client: PartnerClient) -> QuerySet[PartnerReferral]:
    """The client's own submissions that its account may still read as their referrer."""
    scope = referrer_scope(viewer)
    if scope is None:
        return PartnerReferral.objects.none()
    readable = selectors.referrer_referrals(scope).values("pk")
    return PartnerReferral.objects.filter(client=client, referral__in=readable).select_related(*PARTNER_REFERRAL_RELATED)


def partner_referral_get(request, client: PartnerClient, public_id: str, *, purpose: str) -> tuple[PartnerReferral, set[Rel]]:
    """One of them by its opaque id, with the account's relationships to its case, or Http404 (logged)."""
    try:
        wanted = uuid.UUID(public_id)
    except ValueError:
        wanted = None
    found = partner_referrals(request.viewer, client).filter(uuid=wanted).first() if wanted else None
    if found is None:
        refuse(request, status=404, event="api_referral_denied", purpose=f"{purpose} (partner client {client.pk})")
    return found, relationships_to_case(request.viewer, found.referral.case)


def partner_actions(viewer: Viewer, client: PartnerClient) -> QuerySet[Action]:
    """Actions the client's agency owns in the client's areas, once their minutes are issued (as
    an agency's representatives see them), on cases not erased."""
    areas = {area_id for area_id, agency_id in viewer.pairs_for(Role.REFERRER) if agency_id == client.agency_id}
    return (
        Action.objects.filter(
            agency_id=client.agency_id,
            case__area_id__in=sorted(areas),
            meeting__status__in=(Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED),
        )
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related("case__data_key", "case__area", "meeting")
        .order_by("due_on", "pk")
    )


def partner_action_relationships(viewer: Viewer, action: Action) -> set[Rel]:
    """OWN_AGENCY (the action is its agency's, or it would not have been fetched), with whatever
    relationship the account has to the case itself."""
    return relationships_to_case(viewer, action.case) | {Rel.OWN_AGENCY}


BIGGEST_ID = 2**63 - 1  # a larger number in the URL is no id: the database would refuse it


def partner_action_get(request, client: PartnerClient, pk: int, *, purpose: str) -> tuple[Action, set[Rel]]:
    action = partner_actions(request.viewer, client).filter(pk=pk).first() if 0 < pk <= BIGGEST_ID else None
    if action is None:
        refuse(request, status=404, event="api_action_denied", purpose=f"{purpose} (action {pk})")
    return action, partner_action_relationships(request.viewer, action)
