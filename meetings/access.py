"""Fetching meetings, and the cases on them, for a person. Views never fetch either by id.

A person sees a meeting because of a role in its area: they coordinate or chair the area, or they
represent an agency invited to it (and then only once its agenda is issued). Anyone else gets a
404, logged as denied. A representative sees no case content for a meeting until they have
accepted its confidentiality statement (DESIGN 2.4): accepting it is what grants them the
meeting's cases (services.hearing_sync), so every surface — meeting pages, case pages, PDFs —
holds to that without checking it again.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from guardian.shortcuts import get_objects_for_user

from marac.models import Role
from marac.refusals import NextStep, refuse
from marac.security.policy import Rel
from marac.viewer import Viewer, ViewerRequest
from meetings.models import Action, AgendaItem, Attendance, CaseMinutes, Meeting, ResearchReturn
from referrals.access import relationships_to_case
from referrals.models import Case


@dataclass
class MeetingAccess:
    """A meeting and what this person is at it."""

    viewer: Viewer
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


def hearing_case_ids(viewer: Viewer) -> QuerySet:
    """Cases the person was granted by accepting a meeting's confidentiality statement, while that
    still holds: the case is on the meeting's live agenda, in an area where they represent an
    agency, and they still represent there the agency they attended for, which is still invited.
    The grant alone is not trusted, so a membership ending or an invitation withdrawn takes
    effect at once (ADR 0011). Registered with referrals.access as the MEETING_REP grant."""
    if not viewer.has_role(Role.AGENCY_REP):
        return Case.objects.none().values_list("pk", flat=True)  # no representative, no grant: skip guardian's query
    attended = Q(pk__in=[])
    for area_id, agency_id in viewer.pairs_for(Role.AGENCY_REP):
        attended |= Q(meeting__area_id=area_id, meeting__attendances__agency_id=agency_id, meeting__invited_agencies=agency_id)
    listed = (
        AgendaItem.objects.filter(attended, meeting__attendances__user=viewer.user, removed_at=None)
        .exclude(meeting__status=Meeting.Status.SCHEDULED)
        .values("case_id")
    )
    granted = get_objects_for_user(viewer.user, "referrals.hear_case", klass=Case, accept_global_perms=False, with_superuser=False)
    return granted.filter(pk__in=listed, area_id__in=viewer.areas_for(Role.AGENCY_REP)).values_list("pk", flat=True)


def meetings_for(viewer: Viewer) -> QuerySet[Meeting]:
    visible = Q(pk__in=[])
    for area_id in viewer.areas_for(Role.COORDINATOR, Role.CHAIR):
        visible |= Q(area_id=area_id)
    for area_id, agency_id in viewer.pairs_for(Role.AGENCY_REP):
        visible |= Q(area_id=area_id, invited_agencies=agency_id) & ~Q(status=Meeting.Status.SCHEDULED)
    return Meeting.objects.filter(visible).distinct()


def meeting_access_for(viewer: Viewer, pk: int) -> MeetingAccess | None:
    """The meeting and the person's part in it, or None if they have no part in it."""
    meeting = meetings_for(viewer).select_related("area", "chair", "coordinator", "data_key").filter(pk=pk).first()
    if meeting is None:
        return None
    roles = viewer.roles_in(meeting.area_id)
    invited = set(meeting.invited_agencies.values_list("pk", flat=True))
    reps = viewer.agencies_for(Role.AGENCY_REP, meeting.area_id) & invited
    # An acceptance counts only for an agency the person still represents and that is still
    # invited; otherwise they are asked to accept again, for an agency that is.
    attendance = Attendance.objects.filter(meeting=meeting, user=viewer.user, agency_id__in=reps).select_related("agency").first()
    return MeetingAccess(
        viewer=viewer,
        meeting=meeting,
        coordinator=Role.COORDINATOR in roles,
        chair=Role.CHAIR in roles,
        rep_agencies=reps,
        attendance=attendance,
    )


def representative_actions(viewer: Viewer) -> Q:
    """A representative's actions: their agency's, in an area where they represent it, once the
    minutes agreeing them are issued, and only from a meeting whose confidentiality statement
    they accepted for that agency, or that named them as the owner. A colleague's acceptance is
    not theirs: without their own, an action would show them a case they have no tie to."""
    mine = Q(pk__in=[])
    for area_id, agency_id in viewer.pairs_for(Role.AGENCY_REP):
        accepted = Attendance.objects.filter(user=viewer.user, agency_id=agency_id).values("meeting_id")
        mine |= Q(
            case__area_id=area_id, agency_id=agency_id, meeting__status__in=(Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)
        ) & (Q(meeting_id__in=accepted) | Q(owner_user=viewer.user))
    return mine


def actions_for(viewer: Viewer) -> QuerySet[Action]:
    """Actions a person tracks: every action in the areas they coordinate or chair, and their own
    agency's actions as representative_actions says."""
    mine = Q(pk__in=[])
    for area_id in viewer.areas_for(Role.COORDINATOR, Role.CHAIR):
        mine |= Q(case__area_id=area_id)
    mine |= representative_actions(viewer)
    return (
        Action.objects.filter(mine)
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related("case__data_key", "case__area", "agency", "meeting")
        .order_by("status", "due_on", "pk")
    )


def action_relationships(viewer: Viewer, action: Action) -> set[Rel]:
    """The person's relationships to an action's case, with OWN_AGENCY when their agency owns it."""
    own = viewer.agencies_for(Role.AGENCY_REP, action.case.area_id)
    return with_own_agency(relationships_to_case(viewer, action.case), own, action.agency_id)


def action_get_for_user(request: ViewerRequest, pk: int, *, purpose: str) -> tuple[Action, set[Rel]]:
    """An action the person tracks, with their relationships to it, or Http404 (logged as denied)."""
    action = actions_for(request.viewer).filter(pk=pk).first()
    if action is None:
        refuse(request, status=404, event="action_access_denied", purpose=f"{purpose} (action {pk})")
    return action, action_relationships(request.viewer, action)


def meeting_get_for_user(request: ViewerRequest, pk: int, *, purpose: str) -> MeetingAccess:
    """The meeting and the person's part in it, or Http404 (logged as denied)."""
    access = meeting_access_for(request.viewer, pk)
    if access is None:
        refuse(request, status=404, event="meeting_access_denied", purpose=f"{purpose} (meeting {pk})")
    return access


def refuse_meeting_unless(allowed: bool, request: ViewerRequest, access: MeetingAccess, *, event: str, purpose: str) -> None:
    """403, logged, for someone who may see the meeting but not do this."""
    if not allowed:
        refuse(request, status=403, event=event, purpose=f"{purpose} (meeting {access.meeting.pk})")


def refuse_until_statement_accepted(request: ViewerRequest, access: MeetingAccess, *, event: str, purpose: str) -> None:
    """403, logged, for a representative who has not yet accepted the meeting's confidentiality
    statement: the page says so and links to the statement, as accepting it is all they need."""
    if access.sees_cases:
        return
    statement = NextStep(
        heading="Accept the confidentiality statement first",
        explanation="You can see this meeting's cases and papers once you have accepted its confidentiality statement.",
        link_text="Read and accept the confidentiality statement",
        url=reverse("meeting-confidentiality", args=[access.meeting.pk]),
    )
    next_step = statement if access.representative else None
    refuse(request, status=403, event=event, purpose=f"{purpose} (meeting {access.meeting.pk})", next_step=next_step)


def meeting_case_get(request: ViewerRequest, access: MeetingAccess, reference: str, *, purpose: str) -> tuple[Case, set[Rel]]:
    """A case on this meeting's agenda, with the person's relationships to it; 404 (logged) if it
    is not on the agenda, 403 (logged) if the person has not yet accepted the confidentiality
    statement."""
    # Refused before looking the case up, so 403 or 404 cannot tell which references are listed.
    refuse_until_statement_accepted(request, access, event="confidentiality_not_accepted", purpose=purpose)
    case = (
        Case.objects.filter(reference=reference, agenda_items__meeting=access.meeting, agenda_items__removed_at=None)
        .exclude(status=Case.Status.SHREDDED)
        .select_related("area", "referring_agency", "data_key", "victim")
        .first()
    )
    if case is None:
        refuse(request, status=404, event="case_access_denied", purpose=purpose, case_reference=reference)
    return case, relationships_to_case(access.viewer, case)


def research_returns_of(access: MeetingAccess, case: Case, agency_id: int) -> QuerySet[ResearchReturn]:
    """An agency's research return on a case at this meeting; `case` comes from meeting_case_get."""
    return ResearchReturn.objects.filter(meeting=access.meeting, case=case, agency_id=agency_id).select_related("case__data_key")


def minutes_of(access: MeetingAccess, case: Case) -> QuerySet[CaseMinutes]:
    """This meeting's minutes for a case; `case` comes from meeting_case_get."""
    return CaseMinutes.objects.filter(meeting=access.meeting, case=case).select_related("case__data_key")


def with_own_agency(relationships: set[Rel], own_agencies: set[int], agency_id: int) -> set[Rel]:
    """The relationships to one record an agency wrote or owns (a research return, an action):
    OWN_AGENCY is added for that record only, never for the case's other data."""
    return relationships | {Rel.OWN_AGENCY} if agency_id in own_agencies else relationships
