"""Meeting pages: scheduling, the agenda, the confidentiality statement, the register and the
meeting's progress. Every meeting is fetched through meetings.access, and every page that
shows case content goes through the field policy and writes access events."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac.background import queue_now
from marac.concurrency import StaleRecord
from marac.models import Role, User
from marac.refusals import refuse
from meetings import selectors, services, stored_packs
from meetings.access import MeetingAccess, meeting_get_for_user, meetings_for, refuse_meeting_unless
from meetings.forms import (
    AddCaseForm,
    ConfidentialityForm,
    InvitationsChangeForm,
    RegisterForm,
    RemoveCaseForm,
    ScheduleForm,
    agency_field,
    invitations_edits,
)
from meetings.models import AgencyAttendance
from meetings.packs import KINDS, may_have
from meetings.presenters import carried_over_for, case_at_meeting, reads_of, windows_closing_for
from meetings.tasks import render_pack
from referrals.access import case_get_for_user

CONFIDENTIALITY_STATEMENT = (
    "Information shared at this MARAC is confidential. It is shared only to reduce the risk of serious harm to the people "
    "discussed, under the information-sharing agreement of this MARAC. You will not share it outside the meeting except "
    "with colleagues who need it to carry out the actions agreed, and you will keep any notes or packs securely. Packs are "
    "prepared for you alone: do not copy or forward them."
)


def _manage(request: HttpRequest, pk: int, purpose: str) -> MeetingAccess:
    access = meeting_get_for_user(request, pk, purpose=purpose)
    refuse_meeting_unless(access.manages, request, access, event="meeting_change_denied", purpose=purpose)
    return access


def _done(request: HttpRequest, access: MeetingAccess, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("meeting-detail", pk=access.meeting.pk)


def _refused(request: HttpRequest, access: MeetingAccess, error: ValidationError) -> HttpResponse:
    """The meeting's page again, with why the step was refused in a GOV.UK error summary."""
    return _detail(request, access, errors=error.messages)


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    if not viewer.has_role(Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP):
        refuse(request, status=403, event="meeting_access_denied", purpose="meeting list")
    meetings = meetings_for(viewer).select_related("area", "data_key").order_by("-starts_at")[:100]  # the key: venues are encrypted
    return render(request, "meetings/meeting_list.html", {"meetings": meetings, "can_schedule": viewer.has_role(Role.COORDINATOR)})


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    areas = request.viewer.area_records_for(Role.COORDINATOR)
    if not areas:
        refuse(request, status=403, event="meeting_change_denied", purpose="schedule a meeting")
    form = ScheduleForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                area=data["area"],
                starts_at=data["starts_at"],
                venue=data["venue"],
                online=data["online"],
                chair=data["chair"],
                coordinator=request.user,
                agencies=list(data["agencies"]),
                by=request.user,
            )
            messages.success(request, "The meeting has been scheduled. Build its agenda when the cut-off has passed.")
            return redirect("meeting-detail", pk=meeting.pk)
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "meetings/form.html", {"form": form, "title": "Schedule a MARAC meeting", "button": "Schedule the meeting"})


@require_http_methods(["GET", "POST"])
def meeting_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    access = _manage(request, pk, purpose="change invitations")
    meeting = access.meeting
    if meeting.status not in services.INVITATIONS_OPEN:
        messages.error(request, "Invitations cannot be changed once the meeting has ended.")
        return redirect("meeting-detail", pk=meeting.pk)
    current = list(meeting.invited_agencies.all())
    # Bound on any POST: unticking every box sends no agencies at all, which must be an error.
    form = InvitationsChangeForm(
        request.POST if request.method == "POST" else None,
        initial={"agencies": current},
        edits=invitations_edits(meeting),
        version={agency.pk for agency in current},
    )
    if request.method == "POST" and form.is_valid():
        try:
            invited, withdrawn = services.meeting_invitations_change(
                meeting=meeting,
                agencies=list(form.cleaned_data["agencies"]),
                by=request.user,
                expected_version=form.cleaned_data["row_version"],
            )
            return _done(request, access, _invitations_message(invited, withdrawn))
        except StaleRecord as error:
            form.add_error(None, error)
            _invitations_catch_up(form, meeting, opened=form.cleaned_data["row_version"])
        except ValidationError as error:
            form.add_error(None, error)
    if form.version_refused:
        _invitations_catch_up(form, meeting, opened=None)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "meeting": meeting,
            "title": "Change the invited agencies",
            "button": "Save the invitations",
            "intro": "Representatives of an agency you withdraw lose this meeting and its cases straight away; what their "
            "agency has returned is kept, and its actions stay with it. If you invite it again, those who accepted the "
            "confidentiality statement for it see the cases again without accepting it a second time.",
        },
    )


def _invitations_catch_up(form: InvitationsChangeForm, meeting, *, opened: frozenset[int] | None) -> None:
    """The ticks are one field to the merge (marac.concurrency): left as opened, they take the
    invitations as they are now; changed by both people, they stay as ticked, marked, with the
    agencies invited now shown. `opened` is None when the form's version was missing or forged."""
    now = list(meeting.invited_agencies.all())
    form.merge_stale(opened=None if opened is None else {"agencies": opened}, now={"agencies": now}, version={a.pk for a in now})


def _invitations_message(invited, withdrawn) -> str:
    if not invited and not withdrawn:
        return "The invitations are unchanged."
    parts = [
        f"{verb} {', '.join(sorted(a.name for a in group))}" for verb, group in (("Invited", invited), ("Withdrew", withdrawn)) if group
    ]
    return "; ".join(parts) + "."


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, meeting_get_for_user(request, pk, purpose="view meeting"))


def _detail(request: HttpRequest, access: MeetingAccess, *, errors: list[str] | None = None) -> HttpResponse:
    meeting = access.meeting
    context = {
        "errors": errors or [],
        "access": access,
        "meeting": meeting,
        "cutoff": selectors.cutoff_for(meeting),
        "rows": [],
        "invited": meeting.invited_agencies.all(),
        "can_change_invitations": access.manages and meeting.status in services.INVITATIONS_OPEN,
    }
    if access.sees_cases:
        context["rows"] = [case_at_meeting(item, access) for item in selectors.agenda(meeting)]
        context["carried_over"] = carried_over_for(access)
        context["closing"] = windows_closing_for(access)
        context["removed"] = selectors.removed_items(meeting) if access.manages else []
        context["returned"] = _returns_by_case(meeting) if access.minutes else {}
        context["waiting"] = len(selectors.referrals_for_agenda(meeting)) if access.manages else 0
        context["documents"] = [(kind, label) for kind, label in KINDS.items() if may_have(access, kind)]
        context["packs"] = stored_packs.progress(meeting) if access.manages and stored_packs.kinds_prepared(meeting) else None
    response = render(request, "meetings/meeting_detail.html", context)
    reads = reads_of(context["rows"])
    for action in context.get("carried_over", []):
        reads.setdefault(action.reference, set()).update(action.view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose=f"agenda of meeting {meeting.pk}")
    return response


def _returns_by_case(meeting) -> dict[str, list[str]]:
    returned: dict[str, list[str]] = {}
    for reference, agency in meeting.research_returns.values_list("case__reference", "agency__name").order_by("agency__name"):
        returned.setdefault(reference, []).append(agency)
    return returned


@require_POST
def agenda_build(request: HttpRequest, pk: int) -> HttpResponse:
    access = _manage(request, pk, "build agenda")
    try:
        added = services.agenda_build(meeting=access.meeting, by=request.user)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, f"{added} accepted referrals added to the agenda.")


@require_http_methods(["GET", "POST"])
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = _manage(request, pk, "add to agenda")
    form = AddCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # Through the getter like anywhere else: another area's case is "not found" (and logged).
            case, _ = case_get_for_user(request, form.cleaned_data["reference"], purpose="add to agenda")
            services.agenda_add(meeting=access.meeting, case=case, because=form.cleaned_data["because"], by=request.user)
            return _done(request, access, f"{case.reference} has been added to the agenda.")
        except Http404:
            form.add_error("reference", "There is no case with that reference in your MARAC area")
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "title": "Add a case to the agenda", "button": "Add the case", "meeting": access.meeting},
    )


@require_http_methods(["GET", "POST"])
def agenda_remove(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    access = _manage(request, pk, "remove from agenda")
    agenda_item = access.meeting.agenda_items.filter(pk=item, removed_at=None).select_related("case", "meeting").first()
    if agenda_item is None:
        return redirect("meeting-detail", pk=pk)
    form = RemoveCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_remove(item=agenda_item, because=form.cleaned_data["because"], by=request.user)
            return _done(request, access, f"{agenda_item.case.reference} has been taken off the agenda.")
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "title": f"Take {agenda_item.case.reference} off the agenda", "button": "Take it off", "meeting": access.meeting},
    )


@require_POST
def agenda_move(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    access = _manage(request, pk, "reorder agenda")
    agenda_item = access.meeting.agenda_items.filter(pk=item, removed_at=None).select_related("meeting").first()
    if agenda_item is not None:
        try:
            services.agenda_move(item=agenda_item, up=request.POST.get("direction") == "up", by=request.user)
        except ValidationError as error:
            return _refused(request, access, error)
    return redirect("meeting-detail", pk=pk)


@require_POST
def agenda_issue(request: HttpRequest, pk: int) -> HttpResponse:
    access = _manage(request, pk, "issue agenda")
    try:
        services.agenda_issue(meeting=access.meeting, by=request.user)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, "The agenda has been issued. Invited representatives can now see the meeting.")


@require_POST
def meeting_advance(request: HttpRequest, pk: int) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="meeting progress")
    refuse_meeting_unless(access.minutes, request, access, event="meeting_change_denied", purpose="meeting progress")
    try:
        meeting = services.meeting_advance(meeting=access.meeting, by=request.user)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, f"The meeting is now: {meeting.get_status_display().lower()}.")


@require_POST
def minutes_issue(request: HttpRequest, pk: int) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="issue minutes")
    refuse_meeting_unless(access.minutes, request, access, event="meeting_change_denied", purpose="issue minutes")
    try:
        services.minutes_issue(meeting=access.meeting, by=request.user)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, "The minutes have been issued and are now locked. Corrections are added as addenda.")


@require_http_methods(["GET", "POST"])
def confidentiality(request: HttpRequest, pk: int) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="confidentiality statement")
    refuse_meeting_unless(access.representative, request, access, event="meeting_change_denied", purpose="confidentiality statement")
    if access.attendance is not None:
        return redirect("meeting-detail", pk=pk)
    form = ConfidentialityForm(request.POST or None, agencies=access.rep_agencies)
    if request.method == "POST" and form.is_valid():
        try:
            services.confidentiality_accept(meeting=access.meeting, user=request.user, agency=form.cleaned_data["agency"], request=request)
            return _done(request, access, f"You accepted the confidentiality statement at {timezone.localtime():%H:%M}.")
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request, "meetings/confidentiality.html", {"form": form, "meeting": access.meeting, "statement": CONFIDENTIALITY_STATEMENT}
    )


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, pk: int) -> HttpResponse:
    access = meeting_get_for_user(request, pk, purpose="attendance register")
    refuse_meeting_unless(access.minutes, request, access, event="meeting_change_denied", purpose="attendance register")
    meeting = access.meeting
    attendances = list(meeting.attendances.select_related("user", "agency"))
    form = RegisterForm(
        request.POST or None,
        attendances=attendances,
        agencies=meeting.invited_agencies.order_by("name"),
        chairs=_area_chairs(meeting),
        initial=_register_initial(meeting, attendances),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_register(
                meeting=meeting,
                present={int(p) for p in form.cleaned_data["present"]},
                agencies=form.agency_lines(),
                observers=form.cleaned_data["observers"],
                chaired_by=form.cleaned_data["chaired_by"],
                by=request.user,
            )
            return _done(request, access, "The attendance register has been saved.")
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "meetings/register.html", {"form": form, "meeting": meeting, "attendances": attendances})


def _area_chairs(meeting) -> QuerySet[User]:
    """Who may have chaired: the area's active chairs (a deputy may stand in for the chair)."""
    return User.objects.filter(
        memberships__area=meeting.area, memberships__role=Role.CHAIR, memberships__is_active=True, is_active=True
    ).distinct()


def _register_initial(meeting, attendances) -> dict:
    """The register as saved; an agency with no line yet is "present" if one of its people is."""
    there = {a.agency_id for a in attendances if a.present}
    lines = dict(meeting.agency_register.values_list("agency_id", "status"))
    initial = {
        agency_field(agency_id): lines.get(agency_id) or (AgencyAttendance.Status.PRESENT if agency_id in there else None)
        for agency_id in meeting.invited_agencies.values_list("pk", flat=True)
    }
    return {
        **initial,
        "present": [str(a.pk) for a in attendances if a.present],
        "chaired_by": meeting.chaired_by_id or meeting.chair_id,
        "observers": meeting.observers,
    }


@require_POST
def packs_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator's "try again" for packs that kept failing."""
    access = _manage(request, pk, "retry packs")
    for pack_id in stored_packs.retry_failed(access.meeting):
        queue_now(render_pack, pack_id)
    audit.record(event="packs_retried", request=request, purpose=f"meeting {pk}")
    return _done(request, access, "The packs that could not be prepared are being prepared again.")
