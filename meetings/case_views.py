"""A case at a meeting: its page, the research returns, the minutes and actions, addenda, and
the action tracker. Cases are fetched with meeting_case_get (on the agenda, confidentiality
accepted); actions through actions_for_tracker; everything shown goes through the field policy."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

import audit
from marac.security.policy import RedactedView, Rel, writable_fields
from meetings import selectors, services
from meetings.access import meeting_case_get, meeting_get_for_user, represented_agencies, with_own_agency
from meetings.forms import ActionForm, ActionUpdateForm, AddendumForm, MinutesForm, ResearchForm, shared_field
from meetings.models import Action, CaseMinutes, ResearchReturn
from meetings.presenters import action_shown, case_at_meeting, reads_of, with_meeting_records
from referrals.access import grants_for, refuse_unless, relationships_to_case
from referrals.presenters import case_summary


@require_GET
def case_at_meeting_detail(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="case at meeting")
    case, _ = meeting_case_get(request, access, reference, purpose="case at meeting")
    records = selectors.meeting_records(access.meeting, {case.pk}).for_case(case.pk)
    grants = grants_for(request.user, request.memberships)
    row = with_meeting_records(
        case_at_meeting(selectors.agenda_item(access.meeting, case), access, request.memberships, grants), access, **records
    )
    context = {
        "access": access,
        "meeting": access.meeting,
        "row": row,
        "case": case_summary(case),
        "my_return": any(r.agency_id in access.rep_agencies for r in row.research),
    }
    response = render(request, "meetings/case.html", context)
    audit.record_case_reads(request=request, reads=reads_of([row]), purpose=f"case at meeting {pk}")
    return response


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
    existing = ResearchReturn.objects.filter(meeting=access.meeting, case=case, agency=agency).select_related("case__data_key").first()
    mine = with_own_agency(relationships, access.rep_agencies, agency.pk)
    initial = {name: getattr(existing, name) for name in writable_fields("meetings.researchreturn", mine)} if existing else {}
    form = ResearchForm(request.POST or None, initial={**initial, "row_version": existing.row_version if existing else 0})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.research_save(
                meeting=access.meeting, case=case, agency=agency, by=request.user, expected_version=data.pop("row_version"), **data
            )
            messages.success(request, f"Your research on {case.reference} has been saved.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        except services.StaleRecord as error:
            _keep_for_a_deliberate_resave(form, error, ResearchReturn.objects.filter(meeting=access.meeting, case=case, agency=agency))
        except ValidationError as error:
            form.add_error(None, error)
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
    audit.record_case_reads(request=request, reads={case.reference: {f"research.{n}" for n in initial}}, purpose="research return")
    return response


@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="record minutes")
    case, relationships = meeting_case_get(request, access, reference, purpose="record minutes")
    refuse_unless(access.minutes, request, case, event="minutes_denied", purpose="record minutes")
    existing = CaseMinutes.objects.filter(meeting=access.meeting, case=case).select_related("case__data_key").first()
    sharers = _sharers(access.meeting, existing)
    form = MinutesForm(request.POST or None, sharers=sharers, initial=_minutes_initial(existing, sharers))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.minutes_save(
                meeting=access.meeting,
                case=case,
                information_shared=form.information_shared(),
                risks=data["risks"],
                decisions=data["decisions"],
                decision_notes=data["decision_notes"],
                by=request.user,
                expected_version=data["row_version"],
            )
            messages.success(request, f"The minutes for {case.reference} have been saved.")
            return redirect("meeting-case", pk=pk, reference=case.reference)
        except services.StaleRecord as error:
            _keep_for_a_deliberate_resave(form, error, CaseMinutes.objects.filter(meeting=access.meeting, case=case))
        except ValidationError as error:
            form.add_error(None, error)
    response = render(
        request,
        "meetings/form.html",
        {"form": form, "meeting": access.meeting, "button": "Save the minutes", "title": f"Minutes for {case.reference}"},
    )
    read = {"minutes.information_shared", "minutes.risks", "minutes.decision_notes"} if existing else set()
    audit.record_case_reads(request=request, reads={case.reference: read}, purpose="record minutes")
    return response


def _keep_for_a_deliberate_resave(form, error, records) -> None:
    """Keep what the person typed, with the error, and the version now saved: saving again is
    then a deliberate choice to replace the colleague's text."""
    form.data = form.data.copy()
    form.data["row_version"] = records.values_list("row_version", flat=True).first() or 0
    form.add_error(None, error)


def _sharers(meeting, existing: CaseMinutes | None) -> list[str]:
    """The invited agencies, and any agency whose words are already in the minutes (withdrawn
    since), so saving the minutes never drops what an agency said."""
    invited = list(meeting.invited_agencies.order_by("name").values_list("name", flat=True))
    already = sorted(set(existing.information_shared) - set(invited)) if existing else []
    return invited + already


def _minutes_initial(existing: CaseMinutes | None, sharers: list[str]) -> dict:
    if existing is None:
        return {"row_version": 0}
    shared = existing.information_shared
    initial = {shared_field(name): shared.get(name, "") for name in sharers}
    return {
        **initial,
        "risks": existing.risks,
        "decisions": existing.decisions,
        "decision_notes": existing.decision_notes,
        "row_version": existing.row_version,
    }


@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest, pk: int, reference: str) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="agree action")
    case, _ = meeting_case_get(request, access, reference, purpose="agree action")
    refuse_unless(access.minutes, request, case, event="minutes_denied", purpose="agree action")
    form = ActionForm(request.POST or None, agencies=access.meeting.invited_agencies.all())
    if request.method == "POST" and form.is_valid():
        try:
            services.action_add(meeting=access.meeting, case=case, by=request.user, **form.cleaned_data)
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
    record = CaseMinutes.objects.filter(meeting=access.meeting, case=case).select_related("case__data_key").first()
    if record is None:
        raise Http404("No minutes for that case at this meeting")
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


@require_GET
def action_tracker(request: HttpRequest) -> HttpResponse:
    grants = grants_for(request.user, request.memberships)
    actions = list(selectors.actions_for_tracker(request.memberships)[:500])
    shown = [action_shown(action, _action_relationships(request, action, grants)) for action in actions]
    response = render(request, "meetings/actions.html", {"actions": shown})
    reads: dict[str, set[str]] = {}
    for action in shown:
        reads.setdefault(action.reference, set()).update(action.view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose="action tracker")
    return response


def _action_relationships(request: HttpRequest, action: Action, grants) -> set[Rel]:
    own = represented_agencies(request.memberships, action.case.area_id)
    return with_own_agency(relationships_to_case(request.memberships, action.case, grants), own, action.agency_id)


@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A representative updates their own agency's actions; the coordinator and chair any in their area."""
    action = selectors.actions_for_tracker(request.memberships).filter(pk=pk).first()
    if action is None:
        audit.record(event="action_access_denied", request=request, purpose=f"action {pk}", outcome="denied")
        raise Http404("No action with that number that you can see")
    relationships = _action_relationships(request, action, grants_for(request.user, request.memberships))
    form = ActionUpdateForm(request.POST or None, initial={"status": action.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, status=form.cleaned_data["status"], note=form.cleaned_data["note"], by=request.user)
            messages.success(request, "The action has been updated.")
            return redirect("action-tracker")
        except ValidationError as error:
            form.add_error(None, error)
    shown = action_shown(action, relationships)
    updates = [
        (u.at, u.by.get_full_name() or u.by.username, u.get_status_display(), RedactedView(u, relationships, "action_update."))
        for u in action.updates.select_related("case__data_key", "by")
    ]
    response = render(request, "meetings/action_update.html", {"form": form, "action": shown, "updates": updates})
    revealed = shown.view.revealed.union(*(view.revealed for *_, view in updates))
    audit.record_case_reads(request=request, reads={shown.reference: revealed}, purpose=f"action {action.pk}")
    return response
