"""Fetching cases for a person. Views never fetch a case or victim by id themselves.

A person sees a case because of a relationship (DESIGN 4.4): their agency referred it, they
coordinate, chair or audit its area, or they represent an agency invited to the meeting hearing
it (a guardian object permission on the direct foreign-key table, never a global permission,
and only while they hold an active agency-representative membership in the case's area). No
relationship is a 404 — existence is not revealed — and the attempt is logged as denied.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

import audit
from marac.models import Role
from marac.security.policy import Rel
from referrals.models import BreakGlassGrant, Case

AREA_ROLES = {Role.COORDINATOR: Rel.COORDINATOR, Role.CHAIR: Rel.CHAIR, Role.AUDITOR: Rel.AUDITOR}


def _hearing(user, memberships) -> QuerySet[Case]:
    """Cases the person was granted by accepting a meeting's confidentiality statement, while that
    still holds: the case is on the meeting's live agenda, and they still represent, in that area,
    the agency they attended for, which is still invited. The grant alone is not trusted, so a
    membership ending or an invitation withdrawn takes effect at once (ADR 0011)."""
    from meetings.models import AgendaItem, Meeting

    attended = Q(pk__in=[])
    for area_id, agency_id in {(m.area_id, m.agency_id) for m in memberships if m.role == Role.AGENCY_REP}:
        attended |= Q(meeting__area_id=area_id, meeting__attendances__agency_id=agency_id, meeting__invited_agencies=agency_id)
    listed = (
        AgendaItem.objects.filter(attended, meeting__attendances__user=user, removed_at=None)
        .exclude(meeting__status=Meeting.Status.SCHEDULED)
        .values("case_id")
    )
    granted = get_objects_for_user(user, "referrals.hear_case", klass=Case, accept_global_perms=False, with_superuser=False)
    return granted.filter(pk__in=listed)


# Who may ask for emergency access: auditors and administrators have no emergency need for case data.
BREAK_GLASS_ROLES = {Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP}


def may_break_glass(memberships) -> bool:
    return any(m.role in BREAK_GLASS_ROLES for m in memberships)


def _break_glass(user, memberships) -> QuerySet:
    """Unexpired grants, honoured only while the person still holds a role that may ask for one:
    a grant must not outlive, say, the referrer membership it was asked under."""
    if not may_break_glass(memberships):
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(user=user, expires_at__gt=timezone.now())


def cases_for_user(user, memberships) -> QuerySet[Case]:
    """Every case the person has a relationship with. `memberships` are their active ones."""
    visible = Q(pk__in=_hearing(user, memberships).values("pk"), area_id__in=_rep_areas(memberships))
    visible |= Q(pk__in=_break_glass(user, memberships).values("case_id"))
    for membership in memberships:
        if membership.role in AREA_ROLES:
            visible |= Q(area_id=membership.area_id)
        elif membership.role == Role.REFERRER:
            visible |= Q(area_id=membership.area_id, referring_agency_id=membership.agency_id)
    return Case.objects.filter(visible)


def _rep_areas(memberships) -> set[int]:
    return {m.area_id for m in memberships if m.role == Role.AGENCY_REP}


@dataclass(frozen=True)
class Grants:
    """A person's case-by-case grants, fetched once for a whole list."""

    hearing: frozenset[int]
    break_glass: frozenset[int]


def grants_for(user, memberships) -> Grants:
    return Grants(
        hearing=frozenset(_hearing(user, memberships).values_list("pk", flat=True)),
        break_glass=frozenset(_break_glass(user, memberships).values_list("case_id", flat=True)),
    )


def relationships_to_case(memberships, case: Case, grants: Grants) -> set[Rel]:
    relationships = {AREA_ROLES[m.role] for m in memberships if m.role in AREA_ROLES and m.area_id == case.area_id}
    if any(m.role == Role.REFERRER and m.area_id == case.area_id and m.agency_id == case.referring_agency_id for m in memberships):
        relationships.add(Rel.REFERRER)
    if case.pk in grants.hearing and case.area_id in _rep_areas(memberships):
        relationships.add(Rel.MEETING_REP)
    if case.pk in grants.break_glass:
        relationships.add(Rel.BREAK_GLASS)
    return relationships


def case_get_for_user(request, reference: str, *, purpose: str) -> tuple[Case, set[Rel]]:
    """The case and the person's relationships to it, or Http404 (logged as denied)."""
    case = (
        cases_for_user(request.user, request.memberships)
        .select_related("area", "referring_agency", "data_key", "victim")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        audit.record(event="case_access_denied", request=request, case_reference=reference[:40], purpose=purpose, outcome="denied")
        raise Http404("No case with that reference that you can see")
    return case, relationships_to_case(request.memberships, case, grants_for(request.user, request.memberships))


def refuse_unless(allowed: bool, request, case: Case, *, event: str, purpose: str) -> None:
    """403 unless `allowed`, with the refusal logged: the one way a case page says no to someone
    who may see the case but not do this (someone who may not see it at all gets the getter's 404)."""
    if not allowed:
        audit.record(event=event, request=request, case_reference=case.reference, purpose=purpose, outcome="denied")
        raise PermissionDenied


def matches_for_coordinators(request, case: Case, relationships: set[Rel]) -> list:
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
