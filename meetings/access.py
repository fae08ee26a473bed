"""Fetching meetings, and the cases on them, for a person. Views never fetch either by id.

A person sees a meeting because of a role in its area: they coordinate or chair the area, or they
represent an agency invited to it (and then only once its agenda is issued). Anyone else gets a
404, logged as denied. A representative sees no case content for a meeting until they have
accepted its confidentiality statement (DESIGN 2.4): accepting it is what grants them the
meeting's cases (services.hearing_sync), so every surface — meeting pages, case pages, PDFs —
holds to that without checking it again.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

import audit
from marac.models import Role
from marac.security.policy import Rel
from meetings.models import Attendance, Meeting
from referrals.access import grants_for, relationships_to_case
from referrals.models import Case


@dataclass
class MeetingAccess:
    """A meeting and what this person is at it."""

    meeting: Meeting
    coordinator: bool
    chair: bool
    rep_agencies: set[int] = field(default_factory=set)  # invited agencies this person represents
    attendance: Attendance | None = None

    @property
    def manages(self) -> bool:
        return self.coordinator

    @property
    def minutes(self) -> bool:
        """May record minutes and actions: the area's coordinator or chair."""
        return self.coordinator or self.chair

    @property
    def representative(self) -> bool:
        return bool(self.rep_agencies) and not self.minutes

    @property
    def sees_cases(self) -> bool:
        """Case content on this meeting's pages: the coordinator and chair always; a
        representative once they have accepted the confidentiality statement."""
        return self.minutes or self.attendance is not None


def _rep_pairs(memberships) -> list[tuple[int, int]]:
    return [(m.area_id, m.agency_id) for m in memberships if m.role == Role.AGENCY_REP]


def meetings_for_user(memberships) -> QuerySet[Meeting]:
    visible = Q(pk__in=[])
    for membership in memberships:
        if membership.role in (Role.COORDINATOR, Role.CHAIR):
            visible |= Q(area_id=membership.area_id)
    for area_id, agency_id in _rep_pairs(memberships):
        visible |= Q(area_id=area_id, invited_agencies=agency_id) & ~Q(status=Meeting.Status.SCHEDULED)
    return Meeting.objects.filter(visible).distinct()


def meeting_access_for(user, memberships, pk: int) -> MeetingAccess | None:
    """The meeting and the person's part in it, or None if they have no part in it."""
    meeting = meetings_for_user(memberships).select_related("area", "chair", "coordinator").filter(pk=pk).first()
    if meeting is None:
        return None
    roles = {m.role for m in memberships if m.area_id == meeting.area_id}
    invited = set(meeting.invited_agencies.values_list("pk", flat=True))
    reps = represented_agencies(memberships, meeting.area_id) & invited
    # An acceptance counts only for an agency the person still represents and that is still
    # invited; otherwise they are asked to accept again, for an agency that is.
    attendance = Attendance.objects.filter(meeting=meeting, user=user, agency_id__in=reps).select_related("agency").first()
    return MeetingAccess(
        meeting=meeting, coordinator=Role.COORDINATOR in roles, chair=Role.CHAIR in roles, rep_agencies=reps, attendance=attendance
    )


def meeting_get_for_user(request, pk: int, *, purpose: str) -> MeetingAccess:
    """The meeting and the person's part in it, or Http404 (logged as denied)."""
    access = meeting_access_for(request.user, request.memberships, pk)
    if access is None:
        audit.record(event="meeting_access_denied", request=request, purpose=f"{purpose} (meeting {pk})"[:200], outcome="denied")
        raise Http404("No meeting with that number that you can see")
    return access


def refuse_meeting_unless(allowed: bool, request, access: MeetingAccess, *, event: str, purpose: str) -> None:
    """403, logged, for someone who may see the meeting but not do this."""
    if not allowed:
        audit.record(event=event, request=request, purpose=f"{purpose} (meeting {access.meeting.pk})", outcome="denied")
        raise PermissionDenied


def meeting_case_get(request, access: MeetingAccess, reference: str, *, purpose: str) -> tuple[Case, set[Rel]]:
    """A case on this meeting's agenda, with the person's relationships to it; 404 (logged) if it
    is not on the agenda, 403 (logged) if the person has not yet accepted the confidentiality
    statement."""
    # Refused before looking the case up, so 403 or 404 cannot tell which references are listed.
    refuse_meeting_unless(access.sees_cases, request, access, event="confidentiality_not_accepted", purpose=purpose)
    case = (
        Case.objects.filter(reference=reference, agenda_items__meeting=access.meeting, agenda_items__removed_at=None)
        .exclude(status=Case.Status.SHREDDED)
        .select_related("area", "referring_agency", "data_key", "victim")
        .first()
    )
    if case is None:
        audit.record(event="case_access_denied", request=request, case_reference=reference[:40], purpose=purpose, outcome="denied")
        raise Http404("That case is not on this meeting's agenda")
    return case, relationships_to_case(request.memberships, case, grants_for(request.user, request.memberships))


def represented_agencies(memberships, area_id: int) -> set[int]:
    """The agencies a person represents in an area (active agency-representative memberships)."""
    return {agency for area, agency in _rep_pairs(memberships) if area == area_id}


def with_own_agency(relationships: set[Rel], own_agencies: set[int], agency_id: int) -> set[Rel]:
    """The relationships to one record an agency wrote or owns (a research return, an action):
    OWN_AGENCY is added for that record only, never for the case's other data."""
    return relationships | {Rel.OWN_AGENCY} if agency_id in own_agencies else relationships
