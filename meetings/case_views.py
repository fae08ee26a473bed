"""A case at a meeting: its page, the research returns, the minutes and actions, addenda, and
the action tracker. Cases are fetched with meeting_case_get (on the agenda, confidentiality
accepted); actions through meetings.access.actions_for; everything shown goes through the field policy."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

import audit
from marac import listing
from marac.concurrency import StaleRecord, VersionedForm
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import RedactedView, Rel, writable_fields
from meetings import contributions, selectors, services
from meetings.access import (
    action_get_for_user,
    action_relationships,
    actions_for,
    meeting_case_get,
    meeting_get_for_user,
    minutes_of,
    research_returns_of,
    with_own_agency,
)
from meetings.forms import (
    TEXT_LIMIT,
    ActionForm,
    ActionUpdateForm,
    AddendumForm,
    MinutesForm,
    ResearchForm,
    minutes_edits,
    research_edits,
    shared_field,
)
from meetings.models import Action, CaseMinutes, ResearchReturn
from meetings.presenters import action_shown, case_at_meeting, reads_of, status_label, with_alerts, with_meeting_records
from referrals.access import refuse_unless
from referrals.models import Case
from referrals.presenters import case_summary


@require_GET
def case_at_meeting_detail(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="case at meeting")
    case, _ = meeting_case_get(request, access, reference, purpose="case at meeting")
    records = selectors.meeting_records(access.meeting, {case.pk}).for_case(case.pk)
    row = with_meeting_records(case_at_meeting(selectors.agenda_item(access.meeting, case), access), access, **records)
    with_alerts([row])
    previous, following = _agenda_neighbours(access.meeting, case)
    context = {
        "access": access,
        "meeting": access.meeting,
        "row": row,
        "case": case_summary(case),
        "my_return": any(r.agency_id in access.rep_agencies for r in row.research),
        "previous": previous,
        "next": following,
    }
    response = render(request, "meetings/case.html", context)
    audit.record_case_reads(request=request, reads=reads_of([row]), purpose=f"case at meeting {pk}")
    return response


def _agenda_neighbours(meeting, case: Case) -> tuple[str | None, str | None]:
    """The references before and after `case` on the live agenda, in agenda order, for moving
    through the cases while chairing. References only: they identify no one."""
    references = list(
        meeting.agenda_items.filter(removed_at=None)
        .exclude(case__status=Case.Status.SHREDDED)
        .order_by("section", "position", "pk")
        .values_list("case__reference", flat=True)
    )
    index = references.index(case.reference)  # the case came from meeting_case_get: it is listed
    return (references[index - 1] if index else None), (references[index + 1] if index + 1 < len(references) else None)


@require_http_methods(["GET", "POST"])
def research(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    """A representative's research return for their agency (the first, if they represent several)."""
    access = meeting_get_for_user(request, pk, purpose="research return")
    case, relationships = meeting_case_get(request, access, reference, purpose="research return")
    # For the agency they accepted the statement for: the access getter counts an acceptance only
    # while they still represent that agency and it is still invited.
    refuse_unless(
        access.representative and access.attendance is not None, request, case, event="research_denied", purpose="research return"
    )
    agency = access.attendance.agency
    records = research_returns_of(access, case, agency.pk)
    existing = records.first()
    names = writable_fields("meetings.researchreturn", with_own_agency(relationships, access.rep_agencies, agency.pk))
    form = ResearchForm(
        request.POST or None,
        initial=_research_values(existing, names),
        edits=research_edits(access.meeting, case, agency),
        version=existing.row_version if existing else 0,
    )
    if request.method == "POST":
        saved = _save_or_merge(
            form,
            records,
            lambda record: _research_values(record, names),
            lambda data: services.research_save(
                meeting=access.meeting,
                case=case,
                agency=agency,
                facts=data["facts"],
                opinion=data["opinion"],
                not_shared=data["not_shared"],
                by=request.user,
                expected_version=data["row_version"],
            ),
        )
        if saved:
            messages.success(request, f"Your research on {case.reference} has been saved.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        existing = records.first()  # the form may now show what a colleague saved meanwhile
    response = render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "meeting": access.meeting,
            "button": "Save the research",
            "title": f"Research for {case.reference}",
            "caption": agency.name,
        },
    )
    read = {f"research.{n}" for n in names} if existing else set()
    audit.record_case_reads(request=request, reads={case.reference: read}, purpose="research return")
    return response


@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="record minutes")
    case, relationships = meeting_case_get(request, access, reference, purpose="record minutes")
    refuse_unless(access.minutes, request, case, event="minutes_denied", purpose="record minutes")
    if access.meeting.minutes_locked:
        return _minutes_issued(request, access, case, relationships)
    records = minutes_of(access, case)
    existing = records.first()
    sharers = _sharers(access.meeting, existing)
    research_views = _research_offered(access, case, relationships)
    form = MinutesForm(
        request.POST or None,
        sharers=sharers,
        research={name: text for name, (text, _) in research_views.items()},
        initial=_minutes_values(existing, sharers),
        edits=minutes_edits(access.meeting, case),
        version=existing.row_version if existing else 0,
    )
    if request.method == "POST":
        saved = _save_or_merge(
            form,
            records,
            lambda record: _minutes_values(record, sharers),
            lambda data: services.minutes_save(
                meeting=access.meeting,
                case=case,
                information_shared=form.information_shared(),
                risks=data["risks"],
                decisions=data["decisions"],
                decision_notes=data["decision_notes"],
                by=request.user,
                expected_version=data["row_version"],
            ),
        )
        if saved:
            messages.success(request, f"The minutes for {case.reference} have been saved.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        existing = records.first()  # the form may now show what a colleague saved meanwhile
    response = render(
        request,
        "meetings/form.html",
        {"form": form, "meeting": access.meeting, "button": "Save the minutes", "title": f"Minutes for {case.reference}"},
    )
    read = {"minutes.information_shared", "minutes.risks", "minutes.decision_notes"} if existing else set()
    for _, view in research_views.values():
        read |= view.revealed
    audit.record_case_reads(request=request, reads={case.reference: read}, purpose="record minutes")
    return response


def _research_offered(access, case: Case, relationships) -> dict[str, tuple[str, RedactedView]]:
    """Each agency's research on the case as the minute-taker may read it, by agency name, to
    offer in its "shared by" box: the facts and the opinion, never what the agency chose not to
    share (the minutes go to every agency). A withheld field is left out, not offered."""
    offered = {}
    for record in ResearchReturn.objects.filter(meeting=access.meeting, case=case).select_related("case__data_key", "agency"):
        view = RedactedView(record, relationships, "research.")
        parts = [f"{label}{value}" for label, value in (("", view.facts), ("Opinion: ", view.opinion)) if isinstance(value, str) and value]
        if parts:
            offered[record.agency.name] = ("\n\n".join(parts), view)
    return offered


def _minutes_issued(request: HttpRequest, access, case: Case, relationships) -> HttpResponse:
    """Issued minutes are read, not edited: the page shows them as issued, with the way to add a
    correction. A save posted from a form opened before they were issued is refused here, and
    the text posted is shown back so nothing typed is lost."""
    records = selectors.meeting_records(access.meeting, {case.pk}).for_case(case.pk)
    row = with_meeting_records(case_at_meeting(selectors.agenda_item(access.meeting, case), access), access, **records)
    context = {"meeting": access.meeting, "row": row, "refused": request.method == "POST", "posted": _posted_text(request)}
    response = render(
        request,
        "meetings/minutes_issued.html",
        context,
    )
    read = row.minutes.view.revealed.union(*(a.view.revealed for a in row.minutes.addenda)) if row.minutes else set()
    audit.record_case_reads(request=request, reads={case.reference: read}, purpose="issued minutes")
    return response


def _posted_text(request: HttpRequest) -> list[str]:
    """What someone typed into a minutes form that arrived after the minutes were issued: theirs,
    shown back to them only, to copy into a correction."""
    if request.method != "POST":
        return []
    boxes = [value for key, value in request.POST.items() if key.startswith("shared_") or key in ("risks", "decision_notes")]
    return [text.strip()[:TEXT_LIMIT] for text in boxes if text.strip()]


def _save_or_merge(form: VersionedForm, records: QuerySet, values: Callable, save: Callable) -> bool:
    """Save with the version the form was opened at. Refused because someone else saved meanwhile,
    or because the version was missing or forged, the form keeps what was typed and is merged with
    what is saved now (marac.concurrency). True once saved."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
            return True
        except StaleRecord as error:
            form.add_error(None, error)
            form.catch_up(records.first(), opened_version=form.cleaned_data["row_version"], values=values)
        except ValidationError as error:
            form.add_error(None, error)
    elif form.version_refused:
        form.catch_up(records.first(), opened_version=None, values=values)
    return False


def _research_values(record: ResearchReturn | None, names: list[str]) -> dict:
    """The research form's fields as `record` holds them (None: nothing returned yet)."""
    return {name: getattr(record, name, "") for name in names}


def _sharers(meeting, existing: CaseMinutes | None) -> list[str]:
    """The invited agencies, and any agency whose words are already in the minutes (withdrawn
    since), so saving the minutes never drops what an agency said."""
    invited = list(meeting.invited_agencies.order_by("name").values_list("name", flat=True))
    already = sorted(set(existing.information_shared) - set(invited)) if existing else []
    return invited + already


def _minutes_values(record: CaseMinutes | None, sharers: list[str]) -> dict:
    """The minutes form's fields as `record` holds them (None: nothing recorded yet)."""
    shared = getattr(record, "information_shared", {})
    return {
        **{shared_field(name): shared.get(name, "") for name in sharers},
        "risks": getattr(record, "risks", ""),
        "decisions": getattr(record, "decisions", []),
        "decision_notes": getattr(record, "decision_notes", ""),
    }


@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="agree action")
    case, _ = meeting_case_get(request, access, reference, purpose="agree action")
    refuse_unless(access.minutes, request, case, event="minutes_denied", purpose="agree action")
    agencies = list(access.meeting.invited_agencies.all())
    people = {
        agency.pk: list(services.action_owners(agency=agency, area=access.meeting.area).order_by("first_name", "last_name", "username"))
        for agency in agencies
    }
    form = ActionForm(request.POST or None, agencies=agencies, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.action_add(
                meeting=access.meeting,
                case=case,
                agency=data["agency"],
                owner_user=data["owner_user"],
                owner_role=data["owner_role"],
                description=data["description"],
                due_on=data["due_on"],
                by=request.user,
            )
            messages.success(request, f"The action on {case.reference} has been recorded.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "meeting": access.meeting, "button": "Record the action", "title": f"Agree an action on {case.reference}"},
    )


@require_http_methods(["GET", "POST"])
def addendum_new(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="minutes addendum")
    case, _ = meeting_case_get(request, access, reference, purpose="minutes addendum")
    refuse_unless(access.minutes, request, case, event="minutes_denied", purpose="minutes addendum")
    record = minutes_of(access, case).first()
    if record is None:
        refuse(request, status=404, event="minutes_denied", purpose="minutes addendum", case_reference=case.reference)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.addendum_add(minutes=record, text=form.cleaned_data["text"], by=request.user)
            messages.success(request, f"The addendum to the minutes for {case.reference} has been recorded.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "meeting": access.meeting,
            "button": "Add the correction",
            "title": f"Correct the minutes for {case.reference}",
            "intro": "Issued minutes are never changed. Your correction is added after them, with your name and the time.",
        },
    )


# ?status= takes an action's status, or "incomplete" (open or not done) and "overdue" (incomplete and past due).
ACTION_STATUSES = [("incomplete", "Incomplete"), ("overdue", "Overdue"), *Action.Status.choices]
ACTION_SORTS = {
    "reference": ("case__reference", "due_on", "pk"),
    "due": ("due_on", "pk"),
    "status": ("status", "due_on", "pk"),
    "agency": ("agency__name", "due_on", "pk"),
}
ACTION_COLUMNS = [("Case", "reference"), ("Action", None), ("Owner", "agency"), ("Due", "due"), ("Status", "status")]


def _action_filters(request: HttpRequest, params) -> dict:
    viewer = request.viewer
    areas = {area.pk: area.name for area in viewer.area_records_for(Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP)}
    meetings = {pk: label for pk, label in contributions.meeting_choices(viewer)}
    return {
        "status": listing.choice(params, "status", dict(ACTION_STATUSES)),
        "area": listing.id_param(params, "area", set(areas)),
        "meeting": listing.id_param(params, "meeting", set(meetings)),
        "choices": {"status": ACTION_STATUSES, "area": sorted(areas.items(), key=lambda a: a[1]), "meeting": list(meetings.items())},
    }


def _actions_filtered(request: HttpRequest, filters: dict) -> QuerySet:
    actions = actions_for(request.viewer)
    status = filters["status"]
    if status in ("incomplete", "overdue"):
        actions = actions.filter(status__in=Action.INCOMPLETE)
        if status == "overdue":
            actions = actions.filter(due_on__lt=timezone.localdate())
    elif status:
        actions = actions.filter(status=status)
    if filters["area"]:
        actions = actions.filter(case__area_id=filters["area"])
    if filters["meeting"]:
        actions = actions.filter(meeting_id=filters["meeting"])
    return actions


@require_GET
def action_tracker(request: HttpRequest) -> HttpResponse:
    """The actions a person tracks, filtered, sorted and paged in SQL: only the page is decrypted and logged."""
    params = request.GET
    filters = _action_filters(request, params)
    sort = listing.sort_from(params, ACTION_SORTS, default="due")
    filters["sort"] = f"{'-' if sort.descending else ''}{sort.key}"
    page = listing.page_of(params, _actions_filtered(request, filters).order_by(*sort.order_by))
    shown = [action_shown(action, action_relationships(request.viewer, action)) for action in page]
    context = {
        "actions": shown,
        "filters": filters,
        "headers": listing.headers(params, ACTION_COLUMNS, sort),
        "pagination": listing.pagination(params, page, "actions"),
    }
    response = render(request, "meetings/actions.html", context)
    reads: dict[str, set[str]] = {}
    for action in shown:
        reads.setdefault(action.reference, set()).update(action.view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose="action tracker")
    return response


@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A representative updates their own agency's actions; the coordinator and chair any in their area."""
    action, relationships = action_get_for_user(request, pk, purpose="update action")
    form = ActionUpdateForm(request.POST or None, initial={"status": action.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, status=form.cleaned_data["status"], note=form.cleaned_data["note"], by=request.user)
            messages.success(request, "The action has been updated.")
            return redirect("action-tracker")
        except ValidationError as error:
            form.add_error(None, error)
    shown = action_shown(action, relationships)
    updates = [_update_shown(u, relationships) for u in action.updates.select_related("case__data_key", "by")]
    response = render(request, "meetings/action_update.html", {"form": form, "action": shown, "updates": updates})
    revealed = shown.view.revealed.union(*(view.revealed for *_, view in updates))
    audit.record_case_reads(request=request, reads={shown.reference: revealed}, purpose=f"action {action.pk}")
    return response


def _update_shown(update, relationships: set[Rel]) -> tuple:
    view = RedactedView(update, relationships, "action_update.")
    return (update.at, update.by.get_full_name() or update.by.username, status_label(view.status), view)
