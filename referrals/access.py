"""Fetching cases for a person. Views never fetch a case or victim by id themselves.

A person sees a case because of a relationship (DESIGN 4.4): their agency referred it, they
coordinate, chair or audit its area, or they represent an agency invited to the meeting hearing
it (a guardian object permission on the direct foreign-key table, never a global permission,
and only while they hold an active agency-representative membership in the case's area). No
relationship is a 404 — existence is not revealed — and the attempt is logged as denied.

Everything here takes the request's viewer (marac.viewer), never memberships by hand.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.utils import timezone

import audit
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import Rel
from marac.viewer import Viewer, ViewerRequest
from referrals.models import BreakGlassGrant, Case, Referral

AREA_ROLES: dict[str, Rel] = {Role.COORDINATOR: Rel.COORDINATOR, Role.CHAIR: Rel.CHAIR, Role.AUDITOR: Rel.AUDITOR}

# Who may ask for emergency access: auditors and administrators have no emergency need for case data.
BREAK_GLASS_ROLES = (Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP)

# A case-by-case grant: the ids of the cases a viewer holds it for, as a flat values_list query
# (usable as a subquery). Break-glass is referrals' own; other apps add theirs with
# register_case_grant (meetings adds the representative's, for the cases on an agenda whose
# confidentiality statement they accepted), so referrals never imports them.
CaseGrant = Callable[[Viewer], QuerySet]
_case_grants: dict[Rel, CaseGrant] = {}


def register_case_grant(relationship: Rel, case_ids: CaseGrant) -> None:
    """One source per relationship: a second, different one would silently replace the first."""
    if _case_grants.setdefault(relationship, case_ids) is not case_ids:
        raise ImproperlyConfigured(f"The {relationship} case grant is registered already")


def may_break_glass(viewer: Viewer) -> bool:
    return viewer.has_role(*BREAK_GLASS_ROLES)


def _break_glass(viewer: Viewer) -> QuerySet:
    """Unexpired grants, honoured only while the person still holds a role that may ask for one:
    a grant must not outlive, say, the referrer membership it was asked under."""
    if not may_break_glass(viewer):
        return BreakGlassGrant.objects.none().values_list("case_id", flat=True)
    return BreakGlassGrant.objects.filter(user=viewer.user, expires_at__gt=timezone.now(), ended_at=None).values_list("case_id", flat=True)


register_case_grant(Rel.BREAK_GLASS, _break_glass)


def cases_for(viewer: Viewer) -> QuerySet[Case]:
    """Every case the person has a relationship with."""
    visible = Q(pk__in=[])
    for case_ids in _case_grants.values():
        visible |= Q(pk__in=case_ids(viewer))
    for area_id in viewer.areas_for(*AREA_ROLES):
        visible |= Q(area_id=area_id)
    for area_id, agency_id in viewer.pairs_for(Role.REFERRER):
        visible |= Q(area_id=area_id, referring_agency_id=agency_id)
    return Case.objects.filter(visible)


def cases_listed_for(viewer: Viewer) -> QuerySet[Case]:
    """The same cases as cases_for, in a form PostgreSQL can read a page of from an index.

    cases_for ORs a subquery per grant with the area conditions, so the planner cannot use the
    area and date index and reads every case to sort them. Here the grants are the person's
    id sets (fetched once per request, as relationships_to_case needs them anyway) and only
    the relationships the person has are written: a coordinator's list is `area_id IN (...)`,
    read newest first from the case_area_newest index, 50 at a time.
    """
    visible = Q(pk__in=[])
    granted = frozenset().union(*case_grants(viewer).values())
    if granted:
        visible |= Q(pk__in=sorted(granted))
    if areas := viewer.areas_for(*AREA_ROLES):
        visible |= Q(area_id__in=sorted(areas))
    for area_id, agency_id in viewer.pairs_for(Role.REFERRER):
        visible |= Q(area_id=area_id, referring_agency_id=agency_id)
    return Case.objects.filter(visible)


def case_grants(viewer: Viewer) -> dict[Rel, frozenset[int]]:
    """The person's case-by-case grants, fetched once per request however many cases it shows."""
    return viewer.remember("case_grants", lambda: {rel: frozenset(case_ids(viewer)) for rel, case_ids in _case_grants.items()})


def relationships_to_case(viewer: Viewer, case: Case) -> set[Rel]:
    relationships = {AREA_ROLES[role] for role in viewer.roles_in(case.area_id) if role in AREA_ROLES}
    if (case.area_id, case.referring_agency_id) in viewer.pairs_for(Role.REFERRER):
        relationships.add(Rel.REFERRER)
    relationships.update(rel for rel, case_ids in case_grants(viewer).items() if case.pk in case_ids)
    return relationships


def case_get_for_user(request: ViewerRequest, reference: str, *, purpose: str) -> tuple[Case, set[Rel]]:
    """The case and the person's relationships to it, or Http404 (logged as denied)."""
    case = cases_for(request.viewer).select_related("area", "referring_agency", "data_key", "victim").filter(reference=reference).first()
    if case is None:
        refuse(request, status=404, event="case_access_denied", purpose=purpose, case_reference=reference)
    return case, relationships_to_case(request.viewer, case)


def referral_get_for_user(request: ViewerRequest, pk: int, *, purpose: str) -> tuple[Referral, Case, set[Rel]]:
    """A referral with its case and the person's relationships to that case, or Http404 (logged
    as denied against the case, or against the number asked for when there is no such referral)."""
    referral = Referral.objects.filter(pk=pk).select_related("case").first()
    case, relationships = case_get_for_user(request, referral.case.reference if referral else str(pk), purpose=purpose)
    if referral is None:  # not reached: a bare number is never a case reference, so the getter refused it
        refuse(request, status=404, event="case_access_denied", purpose=f"{purpose} (referral {pk})")
    referral.case = case
    return referral, case, relationships


@dataclass(frozen=True)
class ReferrerScope:
    """What a referrer's own lists cover: the live cases their agencies referred in their areas."""

    cases: Q  # a filter on any model with a `case` foreign key
    agencies: frozenset[int]


def referrer_scope(viewer: Viewer) -> ReferrerScope | None:
    """None for someone who refers for no agency."""
    pairs = viewer.pairs_for(Role.REFERRER)
    if not pairs:
        return None
    theirs = Q()
    for area_id, agency_id in pairs:
        theirs |= Q(case__area_id=area_id, case__referring_agency_id=agency_id)
    live = ~Q(case__status=Case.Status.SHREDDED)  # an erased case has nothing left to read
    return ReferrerScope(cases=theirs & live, agencies=frozenset(agency for _, agency in pairs))


def refuse_unless(allowed: bool, request: ViewerRequest, case: Case, *, event: str, purpose: str) -> None:
    """403 unless `allowed`, with the refusal logged: the one way a case page says no to someone
    who may see the case but not do this (someone who may not see it at all gets the getter's 404)."""
    if not allowed:
        refuse(request, status=403, event=event, purpose=purpose, case_reference=case.reference)


def matches_for_coordinators(request: ViewerRequest, case: Case, relationships: set[Rel]) -> list:
    """Cross-area matches for this case's victim, only for the area's coordinator or chair.

    Anyone else could use a match as an oracle ("is this name and birth date a MARAC victim, and
    where?"), so nobody else is shown one. Each match shown is logged against the matched case.
    """
    from referrals.selectors import recent_matches_elsewhere

    if case.is_shredded or not relationships & {Rel.COORDINATOR, Rel.CHAIR}:
        return []
    matches = recent_matches_elsewhere(case.victim, timezone.localdate())
    audit.record_case_reads(
        request=request,
        reads={match.reference: {"cross_area_match"} for match, _ in matches},
        purpose=f"cross-area match for {case.reference}",
    )
    return matches
