"""Fetching cases for a person. Views never fetch a case or victim by id themselves.

A person sees a case because of a relationship (DESIGN 4.4): they are allocated to it at the
agency that referred it (ADR 0019), they coordinate, chair or audit its area, or they represent
an agency invited to the meeting hearing it (a guardian object permission on the direct
foreign-key table, never a global permission, and only while they hold an active
agency-representative membership in the case's area). No
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
from referrals.models import BreakGlassGrant, Case, CaseAllocation, CaseTransfer, EmergencyAccessRequest, Perpetrator, Referral

AREA_ROLES: dict[str, Rel] = {Role.COORDINATOR: Rel.COORDINATOR, Role.CHAIR: Rel.CHAIR, Role.AUDITOR: Rel.AUDITOR}

# Who may ask for emergency access: auditors and administrators have no emergency need for case data.
BREAK_GLASS_ROLES = (Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP, Role.TEAM_LEAD)
# Who decides an ask for a case in their area from someone working elsewhere (ADR 0020).
EMERGENCY_APPROVER_ROLES = (Role.COORDINATOR, Role.CHAIR)

# A case-by-case grant: the ids of the cases a viewer holds it for, as a flat values_list query
# (usable as a subquery), or as a list where the grants are few and fetched once. Break-glass is
# referrals' own; other apps add theirs with register_case_grant (meetings adds the representative's, for the cases on an agenda whose
# confidentiality statement they accepted), so referrals never imports them.
CaseGrant = Callable[[Viewer], QuerySet | list[int]]
_case_grants: dict[Rel, CaseGrant] = {}


def register_case_grant(relationship: Rel, case_ids: CaseGrant) -> None:
    """One source per relationship: a second, different one would silently replace the first."""
    if _case_grants.setdefault(relationship, case_ids) is not case_ids:
        raise ImproperlyConfigured(f"The {relationship} case grant is registered already")


def may_break_glass(viewer: Viewer) -> bool:
    return viewer.has_role(*BREAK_GLASS_ROLES)


def _running_grants(viewer: Viewer) -> QuerySet[BreakGlassGrant]:
    """Unexpired grants, honoured only while the membership each was asked under is active and
    still one that may ask, in SQL: a grant must not outlive, say, the referrer membership in the
    case's area that opened it because the person represents an agency somewhere else."""
    if not may_break_glass(viewer):
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(
        user=viewer.user,
        expires_at__gt=timezone.now(),
        ended_at=None,
        membership__user=viewer.user,
        membership__is_active=True,
        membership__role__in=BREAK_GLASS_ROLES,
    )


def _grants_held(viewer: Viewer) -> list[tuple[int, bool]]:
    """(case id, extended) for each running grant, fetched once per request for both of the
    relationships below: a handful of rows at most (the daily limit), so a list, not a subquery."""
    return viewer.remember("break_glass_grants", lambda: list(_running_grants(viewer).values_list("case_id", "extended")))


def _break_glass(viewer: Viewer) -> list[int]:
    return [case_id for case_id, _ in _grants_held(viewer)]


def _break_glass_extended(viewer: Viewer) -> list[int]:
    """Grants whose approver let them read the contact fields too (ADR 0020)."""
    return [case_id for case_id, extended in _grants_held(viewer) if extended]


register_case_grant(Rel.BREAK_GLASS, _break_glass)
register_case_grant(Rel.BREAK_GLASS_EXTENDED, _break_glass_extended)


def emergency_request_get_for_approver(request: ViewerRequest, pk: int, *, purpose: str) -> EmergencyAccessRequest:
    """An ask for emergency access to a case in an area the person coordinates or chairs, or
    Http404 (logged): anyone else, an approver in another area included, cannot tell it exists."""
    areas = request.viewer.areas_for(*EMERGENCY_APPROVER_ROLES)
    related = ("case__area", "requester", "requester_agency", "requester_area", "decided_by")
    ask = EmergencyAccessRequest.objects.filter(pk=pk, case__area_id__in=areas).select_related(*related).first()
    if ask is None:
        refuse(request, status=404, event="emergency_request_denied", purpose=f"{purpose} (request {pk})")
    if ask.requester_id == request.viewer.user.pk:
        # Someone who became the area's chair or coordinator after asking: another must decide.
        refuse(
            request,
            status=403,
            event="emergency_request_denied",
            purpose=f"{purpose}: their own (request {pk})",
            case_reference=ask.reference,
        )
    return ask


def emergency_request_get_for_requester(request: ViewerRequest, pk: int, *, purpose: str) -> EmergencyAccessRequest:
    """One of the person's own asks, or Http404 (logged)."""
    ask = EmergencyAccessRequest.objects.filter(pk=pk, requester=request.viewer.user).first()
    if ask is None:
        refuse(request, status=404, event="emergency_request_denied", purpose=f"{purpose} (request {pk})")
    return ask


def cases_for(viewer: Viewer) -> QuerySet[Case]:
    """Every case the person has a relationship with."""
    visible = Q(pk__in=[])
    for case_ids in _case_grants.values():
        visible |= Q(pk__in=case_ids(viewer))
    for area_id in viewer.areas_for(*AREA_ROLES):
        visible |= Q(area_id=area_id)
    visible |= referrer_cases(viewer)
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
    if allocated := allocated_cases(viewer):
        visible |= referrer_cases(viewer, allocated=Q(pk__in=sorted(allocated)))
    return Case.objects.filter(visible)


def allocated_cases(viewer: Viewer) -> frozenset[int]:
    """The cases the person is allocated to today (referrals.teams), fetched once per request;
    none, without a query, for someone who refers for no agency."""
    if not viewer.pairs_for(Role.REFERRER):
        return frozenset()
    return viewer.remember(
        "allocated_cases", lambda: frozenset(CaseAllocation.objects.current().filter(user=viewer.user).values_list("case_id", flat=True))
    )


def referrer_cases(viewer: Viewer, *, prefix: str = "", allocated: Q | None = None) -> Q:
    """Rel.REFERRER in SQL (ADR 0019): cases of an agency the person refers for, in that area, to
    which they are allocated today. Being at the agency is not enough: the case is open to the
    workers their team lead put on it. `prefix` leads from the model filtered to the case
    ("case__"); `allocated` replaces the allocation subquery with ids already fetched."""
    pairs = viewer.pairs_for(Role.REFERRER)
    if not pairs:
        return Q(**{f"{prefix}pk__in": []})
    theirs = Q()
    for area_id, agency_id in sorted(pairs):
        theirs |= Q(**{f"{prefix}area_id": area_id, f"{prefix}referring_agency_id": agency_id})
    if allocated is None:
        mine = CaseAllocation.objects.current().filter(user=viewer.user).values("case_id")
        allocated = Q(**{f"{prefix}pk__in": mine})
    return theirs & allocated


def case_grants(viewer: Viewer) -> dict[Rel, frozenset[int]]:
    """The person's case-by-case grants, fetched once per request however many cases it shows."""
    return viewer.remember("case_grants", lambda: {rel: frozenset(case_ids(viewer)) for rel, case_ids in _case_grants.items()})


def relationships_to_case(viewer: Viewer, case: Case) -> set[Rel]:
    relationships = {AREA_ROLES[role] for role in viewer.roles_in(case.area_id) if role in AREA_ROLES}
    if (case.area_id, case.referring_agency_id) in viewer.pairs_for(Role.REFERRER) and case.pk in allocated_cases(viewer):
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
    referral = Referral.objects.filter(pk=pk).select_related("case", "referring_agency").first()
    case, relationships = case_get_for_user(request, referral.case.reference if referral else str(pk), purpose=purpose)
    if referral is None:  # not reached: a bare number is never a case reference, so the getter refused it
        refuse(request, status=404, event="case_access_denied", purpose=f"{purpose} (referral {pk})")
    referral.case = case
    return referral, case, relationships


@dataclass(frozen=True)
class ReferrerScope:
    """What a referrer's own lists cover: the live cases of their agencies, in their areas, that
    they are allocated to (ADR 0019)."""

    cases: Q  # a filter on any model with a `case` foreign key
    agencies: frozenset[int]


def referrer_scope(viewer: Viewer) -> ReferrerScope | None:
    """None for someone who refers for no agency."""
    pairs = viewer.pairs_for(Role.REFERRER)
    if not pairs:
        return None
    theirs = referrer_cases(viewer, prefix="case__")
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


# Case teams and transfers (ADR 0019). A team lead fetches a case to allocate it, never to read it;
# a coordinator fetches an offer to or from their area, never the case's content.


def case_get_for_team_lead(request: ViewerRequest, reference: str, *, purpose: str) -> Case:
    """A live case of an agency the person leads a team for, in that area, or Http404 (logged)."""
    from referrals.teams import team_cases

    case = team_cases(request.viewer).select_related("area", "referring_agency").filter(reference=reference).first()
    if case is None:
        refuse(request, status=404, event="team_case_denied", purpose=purpose, case_reference=reference)
    return case


def allocation_get_for_team_lead(request: ViewerRequest, reference: str, pk: int) -> tuple[CaseAllocation, Case]:
    """An allocation not yet ended on a case the person leads the team for, or Http404 (logged)."""
    case = case_get_for_team_lead(request, reference, purpose="end an allocation")
    allocation = case.allocations.filter(pk=pk, ended_at=None).first()
    if allocation is None:
        refuse(request, status=404, event="team_case_denied", purpose=f"end allocation {pk}", case_reference=reference)
    return allocation, case


def allocation_get_for_worker(request: ViewerRequest, pk: int) -> CaseAllocation:
    """The person's own allocation (a notification's link), or Http404 (logged)."""
    allocation = CaseAllocation.objects.filter(pk=pk, user=request.viewer.user).select_related("case").first()
    if allocation is None:
        refuse(request, status=404, event="allocation_access_denied", purpose=f"allocation {pk}")
    return allocation


def offer_get_for_receiver(request: ViewerRequest, pk: int) -> CaseTransfer:
    """An open offer to an area the person coordinates, or Http404 (logged): a coordinator of any
    other area, the sender included, cannot accept it."""
    from referrals.transfers import offers_to

    offer = offers_to(request.viewer).select_related("case", "from_area", "to_area", "transferred_by").filter(pk=pk).first()
    if offer is None:
        refuse(request, status=404, event="transfer_offer_denied", purpose=f"decide transfer {pk}")
    if offer.transferred_by_id == request.viewer.user.pk:
        # A coordinator of both areas: another coordinator of the receiving area decides it.
        refuse(
            request,
            status=403,
            event="transfer_offer_denied",
            purpose=f"decide transfer {pk}: their own offer",
            case_reference=offer.case.reference,
        )
    return offer


def offer_get_for_sender(request: ViewerRequest, pk: int) -> CaseTransfer:
    """An open offer from an area the person coordinates, or Http404 (logged)."""
    from referrals.transfers import offers_from

    offer = offers_from(request.viewer).select_related("case", "to_area").filter(pk=pk, status=CaseTransfer.Status.OFFERED).first()
    if offer is None:
        refuse(request, status=404, event="transfer_offer_denied", purpose=f"withdraw transfer {pk}")
    return offer


def perpetrator_get_for_link_viewer(request: ViewerRequest, reference: str, pk: int, *, purpose: str) -> tuple[Perpetrator, Case, set[Rel]]:
    """A perpetrator of a live case whose area the person coordinates or chairs, for their links
    to other cases (ADR 0026), or Http404 (logged). Anyone else with a tie to the case (a referrer
    above all) gets the same 404 as a stranger: the page must not say whether links exist."""
    case, relationships = case_get_for_user(request, reference, purpose=purpose)
    if case.is_shredded or not relationships & {Rel.COORDINATOR, Rel.CHAIR}:
        refuse(request, status=404, event="perpetrator_links_denied", purpose=f"{purpose} (perpetrator {pk})", case_reference=reference)
    perpetrator = case.perpetrators.filter(pk=pk).first()
    if perpetrator is None:
        refuse(request, status=404, event="perpetrator_links_denied", purpose=f"{purpose} (perpetrator {pk})", case_reference=reference)
    perpetrator.case = case  # decrypts under the case's data key, already loaded
    return perpetrator, case, relationships
