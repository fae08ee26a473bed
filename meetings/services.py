"""Writes to meetings: each is atomic, checks the meeting's status under a row lock, keeps
representatives' access to the meeting's cases in step, and writes its audit entry."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from guardian.shortcuts import assign_perm

import audit
from marac.concurrency import StaleRecord
from marac.history import acting
from marac.models import Agency, MaracArea, Role, User, service_accounts
from marac.security.fields import EncryptedModel
from meetings import reminders, selectors
from meetings.models import (
    Action,
    ActionUpdate,
    AgencyAttendance,
    AgendaItem,
    Attendance,
    CaseMinutes,
    Meeting,
    MinutesAddendum,
    OwnerRole,
    ReferralListing,
    ResearchReturn,
)
from meetings.tasks import packs_changed
from referrals.models import Case, CaseUserObjectPermission, Referral

S = Meeting.Status
RESEARCH_OPEN = (S.AGENDA_ISSUED, S.IN_PROGRESS)
MINUTES_OPEN = (S.IN_PROGRESS, S.MINUTES_DRAFT)
NEXT_STATUS = {S.AGENDA_ISSUED: S.IN_PROGRESS, S.IN_PROGRESS: S.MINUTES_DRAFT, S.MINUTES_ISSUED: S.CLOSED}


def _locked(meeting: Meeting, allowed: tuple, message: str) -> Meeting:
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("area").get(pk=meeting.pk)  # not the shared area row
    if meeting.status not in allowed:
        raise ValidationError(message)
    return meeting


def _saved(record, by: User):
    """Validate and save with history naming who acted (encrypted values validate in forms)."""
    acting(record, by)
    record.full_clean(exclude=[f.name for f in record.encrypted_fields()] if isinstance(record, EncryptedModel) else None)
    record.save()
    return record


def _list_referral(referral: Referral, meeting: Meeting | None, by: User) -> None:
    """Record which meeting hears a referral (None: back in the pool for the next agenda), with
    history, like any other change."""
    listing = ReferralListing.objects.filter(referral=referral).first()
    if meeting is None:
        if listing:
            acting(listing, by)
            listing.delete()
    elif listing is None:
        _saved(ReferralListing(referral=referral, meeting=meeting), by)
    elif listing.meeting_id != meeting.pk:
        listing.meeting = meeting
        _saved(listing, by)


@transaction.atomic
def meeting_schedule(
    *,
    area: MaracArea,
    starts_at: datetime,
    venue: str,
    online: bool,
    chair: User,
    coordinator: User,
    agencies: list[Agency],
    by: User,
    held_before_go_live: bool = False,
) -> Meeting:
    """A new meeting. `held_before_go_live` records one already held (bringing in an area's
    history, and the demo); the pages never pass it."""
    if starts_at <= timezone.now() and not held_before_go_live:
        raise ValidationError("A meeting must be scheduled in the future")
    meeting = _saved(Meeting(area=area, starts_at=starts_at, venue=venue.strip(), online=online, chair=chair, coordinator=coordinator), by)
    meeting.invited_agencies.set(agencies)
    audit.record(event="meeting_scheduled", user=by, purpose=f"meeting {meeting.pk}")
    return meeting


INVITATIONS_OPEN = (S.SCHEDULED, S.AGENDA_ISSUED, S.IN_PROGRESS)


@transaction.atomic
def meeting_invitations_change(
    *, meeting: Meeting, agencies: list[Agency], by: User, expected_version: set[int] | frozenset[int]
) -> tuple[set[Agency], set[Agency]]:
    """Invite and withdraw agencies until the meeting ends (after that the invitations are the
    record of who was there to hear the minutes). A withdrawn agency's representatives lose the
    meeting and its cases at once; what they filed stays. Returns (invited, withdrawn).

    `expected_version` is the invitations' version: the agencies' ids as the person's form showed
    them. If someone else has changed the invitations since, nothing is saved (StaleRecord): their
    change is not quietly undone."""
    meeting = _locked(meeting, INVITATIONS_OPEN, "Invitations cannot be changed once the meeting has ended")
    if not agencies:
        raise ValidationError("Invite at least one agency")
    before, after = set(meeting.invited_agencies.all()), set(agencies)
    if {agency.pk for agency in before} != expected_version:
        now = ", ".join(sorted(agency.name for agency in before))
        raise StaleRecord(
            f"Someone else changed the invitations while you were choosing, so nothing was saved. "
            f"Invited now: {now}. Your choices are still below: check them, then save again."
        )
    invited, withdrawn = after - before, before - after
    if invited or withdrawn:
        acting(meeting, by)
        meeting.invited_agencies.set(agencies)
        hearing_sync(case_ids=set(meeting.agenda_items.values_list("case_id", flat=True)))
    for event, group in (("meeting_agency_invited", invited), ("meeting_agency_withdrawn", withdrawn)):
        for agency in sorted(group, key=lambda a: a.pk):
            audit.record(event=event, user=by, purpose=f"meeting {meeting.pk}: agency {agency.pk}")
    packs_changed(meeting.pk)
    return invited, withdrawn


def _append(meeting: Meeting, *, case: Case, referral: Referral | None, section: int, because: str, by: User) -> AgendaItem:
    """A case at the end of its section."""
    item = AgendaItem(
        meeting=meeting,
        case=case,
        referral=referral,
        section=section,
        position=_next_position(meeting, section),
        added_because=because,
        added_by=by,
    )
    return _saved(item, by)


def _next_position(meeting: Meeting, section: int) -> int:
    last = meeting.agenda_items.filter(section=section).order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def _section_of(case: Case) -> int:
    has_children = case.household.filter(is_child=True).exists()
    return AgendaItem.Section.CHILDREN if has_children else AgendaItem.Section.ADULTS


@transaction.atomic
def agenda_build(*, meeting: Meeting, by: User) -> int:
    """List every accepted referral that made the cut-off: children's cases first, then adults',
    each in the order they were accepted. Returns how many were added."""
    meeting = _locked(meeting, (S.SCHEDULED, S.AGENDA_ISSUED), "The agenda can only change before the meeting starts")
    referrals = selectors.referrals_for_agenda(meeting)
    for referral in referrals:
        has_children = referral.has_children  # type: ignore[attr-defined]  # annotated by referrals_for_agenda
        section = AgendaItem.Section.CHILDREN if has_children else AgendaItem.Section.ADULTS
        _append(meeting, case=referral.case, referral=referral, section=section, because=AgendaItem.AddedBecause.MADE_CUTOFF, by=by)
        _list_referral(referral, meeting, by)
    hearing_sync(case_ids={r.case_id for r in referrals})
    audit.record(event="agenda_built", user=by, purpose=f"meeting {meeting.pk}: {len(referrals)} cases")
    packs_changed(meeting.pk)
    return len(referrals)


@transaction.atomic
def agenda_add(*, meeting: Meeting, case: Case, because: str, by: User) -> AgendaItem:
    meeting = _locked(meeting, (S.SCHEDULED, S.AGENDA_ISSUED), "The agenda can only change before the meeting starts")
    if case.area_id != meeting.area_id or case.status != Case.Status.OPEN:
        raise ValidationError("Only an open case in this MARAC's area can be listed")
    if because not in AgendaItem.AddedBecause.values:
        raise ValidationError("Choose why the case is being added")
    existing = meeting.agenda_items.filter(case=case).first()
    if existing and existing.removed_at is None:
        raise ValidationError("That case is already on the agenda")
    if existing:  # listed again after removal: the same row, so its history tells the whole story
        existing.removed_at, existing.removed_by, existing.removed_because = None, None, ""
        existing.added_because, existing.added_by, existing.section = because, by, _section_of(case)
        existing.position = _next_position(meeting, existing.section)
        item = _saved(existing, by)
    else:
        referral = case.referrals.filter(status=Referral.Status.ACCEPTED).order_by("-decided_at").first()
        item = _append(meeting, case=case, referral=referral, section=_section_of(case), because=because, by=by)
        if referral and not ReferralListing.objects.filter(referral=referral).exists():  # heard here, so no later agenda lists it
            _list_referral(referral, meeting, by)
    hearing_sync(case_ids={case.pk})
    audit.record(event="agenda_case_added", user=by, case_reference=case.reference, purpose=f"meeting {meeting.pk}: {because}")
    packs_changed(meeting.pk)
    return item


@transaction.atomic
def agenda_remove(*, item: AgendaItem, because: str, by: User) -> AgendaItem:
    _locked(item.meeting, (S.SCHEDULED, S.AGENDA_ISSUED), "The agenda can only change before the meeting starts")
    if because not in AgendaItem.RemovedBecause.values:
        raise ValidationError("Choose why the case is being removed")
    item.removed_at, item.removed_by, item.removed_because = timezone.now(), by, because
    _saved(item, by)
    listed_here = ReferralListing.objects.filter(referral=item.referral_id, meeting=item.meeting_id).first()
    if because == AgendaItem.RemovedBecause.DEFERRED and listed_here:
        _list_referral(listed_here.referral, None, by)  # back in the pool for the next meeting's agenda
    hearing_sync(case_ids={item.case_id})
    audit.record(event="agenda_case_removed", user=by, case_reference=item.case.reference, purpose=f"meeting {item.meeting_id}: {because}")
    packs_changed(item.meeting_id)
    return item


@transaction.atomic
def agenda_move(*, item: AgendaItem, up: bool, by: User) -> None:
    """Swap a case with its neighbour in the same section."""
    _locked(item.meeting, (S.SCHEDULED, S.AGENDA_ISSUED), "The agenda can only change before the meeting starts")
    siblings = list(item.meeting.agenda_items.filter(section=item.section, removed_at=None).order_by("position", "pk"))
    index = next((i for i, s in enumerate(siblings) if s.pk == item.pk), None)
    if index is None:  # removed meanwhile
        return
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            _saved(sibling, by)
    packs_changed(item.meeting_id)


@transaction.atomic
def agenda_issue(*, meeting: Meeting, by: User) -> Meeting:
    """Invited representatives can now see the meeting, and its cases once they accept the
    confidentiality statement."""
    meeting = _locked(meeting, (S.SCHEDULED,), "The agenda has already been issued")
    if not meeting.agenda_items.filter(removed_at=None).exists():
        raise ValidationError("Add at least one case before issuing the agenda")
    meeting.status, meeting.agenda_issued_at = S.AGENDA_ISSUED, timezone.now()
    _saved(meeting, by)
    audit.record(event="agenda_issued", user=by, purpose=f"meeting {meeting.pk}")
    reminders.agenda_issued(meeting, by=by)
    packs_changed(meeting.pk)
    return meeting


def hearing_sync(*, case_ids: set[int]) -> None:
    """Give each case's object permission to exactly the representatives who have accepted the
    confidentiality statement of an issued meeting it is listed at, and take it from anyone else.

    Direct-foreign-key guardian rows, never global permissions (ADR 0006). Called by every write
    that changes an agenda or an attendance, so access follows the agenda, including removals.
    referrals.access also re-checks the grant's basis on every read (memberships and invitations
    change without passing through here).
    """
    for case_id in sorted(case_ids):
        case = Case.objects.select_for_update().get(pk=case_id)  # concurrent syncs of one case take turns
        should = set(
            Attendance.objects.filter(
                meeting__agenda_items__case_id=case_id,
                meeting__agenda_items__removed_at=None,
                meeting__invited_agencies=F("agency"),  # an agency withdrawn from the meeting hears nothing
            )
            .exclude(meeting__status=S.SCHEDULED)
            .values_list("user_id", flat=True)
        )
        granted = CaseUserObjectPermission.objects.filter(content_object_id=case_id, permission__codename="hear_case")
        granted.exclude(user_id__in=should).delete()
        have = set(granted.values_list("user_id", flat=True))
        for user in User.objects.filter(pk__in=should - have):
            assign_perm("referrals.hear_case", user, case)


@transaction.atomic
def confidentiality_accept(*, meeting: Meeting, user: User, agency: Agency, request=None) -> Attendance:
    meeting = _locked(
        meeting, (S.AGENDA_ISSUED, S.IN_PROGRESS, S.MINUTES_DRAFT, S.MINUTES_ISSUED), "The agenda for this meeting has not been issued yet"
    )
    if not meeting.invited_agencies.filter(pk=agency.pk).exists():  # checked under the lock invitations change under
        raise ValidationError(f"{agency.name} is not invited to this meeting")
    attendance = Attendance.objects.filter(meeting=meeting, user=user).first() or Attendance(meeting=meeting, user=user)
    if attendance.pk is None or attendance.agency_id != agency.pk:
        # New, or accepting again for another agency after theirs was withdrawn (history keeps the first).
        attendance.agency, attendance.confidentiality_accepted_at = agency, timezone.now()
        _saved(attendance, user)
        hearing_sync(case_ids=set(meeting.agenda_items.filter(removed_at=None).values_list("case_id", flat=True)))
        audit.record(event="confidentiality_accepted", user=user, request=request, purpose=f"meeting {meeting.pk}")
        packs_changed(meeting.pk)
    return attendance


@transaction.atomic
def attendance_register(
    *,
    meeting: Meeting,
    present: set[int],
    by: User,
    agencies: dict[int, str] | None = None,
    observers: str | None = None,
    chaired_by: User | None = None,
) -> None:
    """Mark who was present (attendance ids); everyone else who accepted is marked absent.
    `agencies` gives each invited agency's line (AgencyAttendance.Status), `chaired_by` who
    chaired on the day (one of the area's chairs) and `observers` who watched; None leaves
    each as it was."""
    meeting = _locked(meeting, (S.AGENDA_ISSUED, S.IN_PROGRESS, S.MINUTES_DRAFT), "The register is closed once minutes are issued")
    for attendance in meeting.attendances.all():
        if attendance.present != (attendance.pk in present):
            attendance.present = attendance.pk in present
            _saved(attendance, by)
    if agencies is not None:
        _register_agencies(meeting, agencies, by)
    if chaired_by is not None or observers is not None:
        _register_chair_and_observers(meeting, chaired_by, observers, by)
    audit.record(event="attendance_recorded", user=by, purpose=f"meeting {meeting.pk}")
    packs_changed(meeting.pk)


def _register_agencies(meeting: Meeting, agencies: dict[int, str], by: User) -> None:
    invited = set(meeting.invited_agencies.values_list("pk", flat=True))
    if not set(agencies) <= invited:  # a crafted form: only invited agencies have a line
        raise ValidationError("Only agencies invited to this meeting can be on its register")
    if not set(agencies.values()) <= set(AgencyAttendance.Status.values):
        raise ValidationError("Choose whether each agency was present or sent apologies")
    lines = {line.agency_id: line for line in meeting.agency_register.select_for_update()}
    for agency_id, status in sorted(agencies.items()):
        line = lines.get(agency_id) or AgencyAttendance(meeting=meeting, agency_id=agency_id)
        if line.pk is None or line.status != status:
            line.status = status
            _saved(line, by)


def _register_chair_and_observers(meeting: Meeting, chaired_by: User | None, observers: str | None, by: User) -> None:
    if chaired_by is not None and not chaired_by.memberships.filter(area=meeting.area, role=Role.CHAIR, is_active=True).exists():
        raise ValidationError(f"Choose someone who chairs the {meeting.area.name} MARAC")
    meeting.chaired_by = chaired_by if chaired_by is not None else meeting.chaired_by
    meeting.observers = observers.strip() if observers is not None else meeting.observers
    _saved(meeting, by)


@transaction.atomic
def meeting_advance(*, meeting: Meeting, by: User) -> Meeting:
    """Agenda issued -> in progress -> minutes draft; minutes issued -> closed. A meeting cannot
    start before its day: its cases would count as heard (NI 32) and its minutes could be issued
    before anyone met."""
    meeting = _locked(meeting, tuple(NEXT_STATUS), "The meeting cannot move on from here")
    day = timezone.localtime(meeting.starts_at).date()
    if meeting.status == S.AGENDA_ISSUED and day > timezone.localdate():
        raise ValidationError(f"This meeting is on {day:%-d %B %Y}. It cannot be started before then.")
    meeting.status = NEXT_STATUS[S(meeting.status)]
    _saved(meeting, by)
    audit.record(event=f"meeting_{meeting.status}", user=by, purpose=f"meeting {meeting.pk}")
    packs_changed(meeting.pk)
    return meeting


@transaction.atomic
def research_save(
    *,
    meeting: Meeting,
    case: Case,
    agency: Agency,
    facts: str,
    opinion: str,
    not_shared: str,
    by: User,
    expected_version: int,
) -> ResearchReturn:
    """`expected_version` is the version the person started from (0 for none yet): saving over a
    colleague's later save is refused (StaleRecord), not silently done."""
    meeting = _locked(meeting, RESEARCH_OPEN, "Research can be returned once the agenda is issued, until the meeting ends")
    if not meeting.invited_agencies.filter(pk=agency.pk).exists():
        raise ValidationError("Your agency is not invited to this meeting")
    if not (facts.strip() or opinion.strip() or not_shared.strip()):
        # An empty return would count as returned and tell the meeting nothing.
        raise ValidationError(EMPTY_RESEARCH)
    record = (
        ResearchReturn.objects.select_for_update()
        .filter(meeting=meeting, case=case, agency=agency)
        .select_related("case__data_key")
        .first()
    )
    _refuse_if_stale(record, expected_version)
    record = record or ResearchReturn(meeting=meeting, case=case, agency=agency)
    record.facts, record.opinion, record.not_shared, record.returned_by = facts.strip(), opinion.strip(), not_shared.strip(), by
    _saved(record, by)
    audit.record(
        event="research_returned",
        user=by,
        case_reference=case.reference,
        fields=["facts", "opinion", "not_shared"],
        purpose=f"meeting {meeting.pk}",
    )
    packs_changed(meeting.pk)
    return record


EMPTY_RESEARCH = (
    "Enter what your agency's records show, your agency's opinion, or what you decided not to share and why. "
    "If your agency holds nothing on this case, say so in the facts."
)


@transaction.atomic
def minutes_save(
    *,
    meeting: Meeting,
    case: Case,
    information_shared: dict[str, str],
    risks: str,
    decisions: list[str],
    decision_notes: str,
    by: User,
    expected_version: int,
) -> CaseMinutes:
    """`expected_version` as for research_save: the minutes' version the person started from."""
    meeting = _locked(meeting, MINUTES_OPEN, _minutes_closed(meeting))
    record = CaseMinutes.objects.select_for_update().filter(meeting=meeting, case=case).select_related("case__data_key").first()
    _refuse_if_stale(record, expected_version)
    record = record or CaseMinutes(meeting=meeting, case=case, recorded_by=by)
    record.information_shared = {agency: text.strip() for agency, text in information_shared.items() if text.strip()}
    record.risks, record.decisions, record.decision_notes = risks.strip(), sorted(decisions), decision_notes.strip()
    _saved(record, by)
    audit.record(event="minutes_recorded", user=by, case_reference=case.reference, purpose=f"meeting {meeting.pk}")
    return record


def _refuse_if_stale(record: EncryptedModel | None, expected_version: int) -> None:
    if (record.row_version if record else 0) != expected_version:
        raise StaleRecord(
            "Someone else saved this while you were writing, so nothing was saved. Your text is still below; "
            "where they changed the same box, what they saved is shown above the form. Combine the two, then save again."
        )


def _minutes_closed(meeting: Meeting) -> str:
    if meeting.minutes_locked:
        return "These minutes have been issued and can no longer be changed. Add an addendum instead."
    return "Minutes can be recorded once the meeting has started"


def action_owners(*, agency: Agency, area: MaracArea):
    """The people an action of `agency` in `area` can be given to: its active front-line members
    there (referrers and representatives), not its coordinators, chairs or auditors, and no
    partner system's service account (it reports progress on its agency's actions, owns none)."""
    return (
        User.objects.filter(
            memberships__agency=agency,
            memberships__area=area,
            memberships__role__in=(Role.REFERRER, Role.AGENCY_REP),
            memberships__is_active=True,
            is_active=True,
        )
        .exclude(service_accounts())
        .distinct()
    )


def _owner_label(*, agency: Agency, area: MaracArea, owner_user: User | None, owner_role: str, owner: str, imported: bool) -> str:
    """The owner's name as actions show it. One of the agency's people or a named role; free
    text only for actions brought in from before go-live."""
    if owner_user is not None:
        if not action_owners(agency=agency, area=area).filter(pk=owner_user.pk).exists():
            raise ValidationError(f"Choose someone from {agency.name}, or a named role")
        return owner_user.display_name
    if owner_role:
        if owner_role not in OwnerRole.values:
            raise ValidationError("Choose someone from the agency, or a named role")
        return OwnerRole(owner_role).label
    if imported and owner.strip():
        return owner.strip()
    raise ValidationError("Choose who owns the action")


@transaction.atomic
def action_add(
    *,
    meeting: Meeting,
    case: Case,
    agency: Agency,
    description: str,
    due_on: date,
    by: User,
    owner_user: User | None = None,
    owner_role: str = "",
    owner: str = "",
    held_before_go_live: bool = False,
) -> Action:
    """An action owned by one of `agency`'s people in the area (`owner_user`) or a named role
    (`owner_role`); `owner` as free text only with `held_before_go_live`."""
    meeting = _locked(meeting, MINUTES_OPEN, _minutes_closed(meeting))
    if due_on < timezone.localdate() and not held_before_go_live:
        raise ValidationError("An action's due date cannot be in the past")
    if not meeting.invited_agencies.filter(pk=agency.pk).exists() and not held_before_go_live:
        raise ValidationError(f"{agency.name} is not invited to this meeting")
    label = _owner_label(
        agency=agency, area=meeting.area, owner_user=owner_user, owner_role=owner_role, owner=owner, imported=held_before_go_live
    )
    action = Action(
        meeting=meeting,
        case=case,
        agency=agency,
        owner=label,
        owner_user=owner_user,
        owner_role=owner_role if owner_user is None else "",
        description=description.strip(),
        due_on=due_on,
        created_by=by,
    )
    _saved(action, by)
    audit.record(event="action_agreed", user=by, case_reference=case.reference, purpose=f"meeting {meeting.pk}")
    reminders.action_assigned(action, by=by)
    return action


@transaction.atomic
def minutes_issue(*, meeting: Meeting, by: User) -> Meeting:
    """Lock the minutes: from now on corrections are addenda."""
    meeting = _locked(meeting, (S.MINUTES_DRAFT,), "End the meeting before issuing its minutes")
    meeting.status, meeting.minutes_issued_at = S.MINUTES_ISSUED, timezone.now()
    _saved(meeting, by)
    audit.record(event="minutes_issued", user=by, purpose=f"meeting {meeting.pk}")
    reminders.minutes_issued(meeting, by=by)
    packs_changed(meeting.pk)
    return meeting


@transaction.atomic
def addendum_add(*, minutes: CaseMinutes, text: str, by: User) -> MinutesAddendum:
    meeting = Meeting.objects.select_for_update().get(pk=minutes.meeting_id)
    if not meeting.minutes_locked:
        raise ValidationError("The minutes are not issued yet: change them directly")
    if not text.strip():
        raise ValidationError("Write the correction")
    addendum = _saved(MinutesAddendum(minutes=minutes, case=minutes.case, text=text.strip(), added_by=by), by)
    audit.record(event="minutes_addendum", user=by, case_reference=minutes.case.reference, purpose=f"meeting {meeting.pk}")
    packs_changed(meeting.pk)
    return addendum


DONE_NEEDS_NOTE = "Write a note saying what was done"


@transaction.atomic
def action_update(*, action: Action, status: str, note: str, by: User) -> ActionUpdate:
    """A progress note, and the action's status as it now stands."""
    action = Action.objects.select_for_update().select_related("case__data_key").get(pk=action.pk)
    if status not in Action.Status.values:
        raise ValidationError("Choose the action's status")
    if status == action.status and not note.strip():
        raise ValidationError("Write a progress note or change the status")
    if status == Action.Status.DONE and not note.strip():
        raise ValidationError(DONE_NEEDS_NOTE)
    update = _saved(ActionUpdate(action=action, case=action.case, note=note.strip(), status=status, by=by), by)
    if action.status != status:
        action.status = status
        _saved(action, by)
    audit.record(event="action_updated", user=by, case_reference=action.case.reference, purpose=f"action {action.pk}: {status}")
    packs_changed(action.meeting_id)
    return update


def representatives_of(meeting: Meeting) -> list[User]:
    """Active representatives of the meeting's invited agencies in its area."""
    return list(
        User.objects.filter(
            memberships__area=meeting.area,
            memberships__role=Role.AGENCY_REP,
            memberships__is_active=True,
            memberships__agency__in=meeting.invited_agencies.all(),
            is_active=True,
        ).distinct()
    )
