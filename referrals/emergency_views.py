"""Emergency (break-glass) access pages (ADR 0020): asking, the person's own asks, and the case
area's coordinator or chair deciding asks from people working elsewhere. None of these pages
shows victim data: references, people, codes and times only."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marac.refusals import refuse
from referrals import emergency
from referrals.access import (
    EMERGENCY_APPROVER_ROLES,
    emergency_request_get_for_approver,
    emergency_request_get_for_requester,
    may_break_glass,
)
from referrals.emergency_forms import EXTENSION_SHOWS, BreakGlassForm, EmergencyDecisionForm
from referrals.models import EmergencyAccessRequest

STATUS_LABELS = dict(EmergencyAccessRequest.Status.choices)
LIST_LENGTH = 100  # a day's asks are at most MARAC_BREAK_GLASS_PER_DAY per person


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Ask for emergency access to a case the person has no relationship with."""
    form = BreakGlassForm(request.POST or None)
    if not may_break_glass(request.viewer):
        if request.method == "POST" and form.is_valid():
            _refuse_ask_for_role(request, form.cleaned_data["reference"], form.cleaned_data["reason"])
        refuse(request, status=403, event="break_glass_denied", purpose="emergency access")
    if request.method == "POST" and form.is_valid():
        try:
            asked = emergency.emergency_access_ask(
                viewer=request.viewer, reference=form.cleaned_data["reference"], reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            form.add_error("reference", error)
        else:
            return _after_asking(request, asked)
    return render(request, "referrals/break_glass.html", {"form": form})


def _refuse_ask_for_role(request: HttpRequest, reference: str, reason: str) -> None:
    """An ask from someone whose roles may not ask: kept, so it counts towards their limit, and
    logged as every refused ask is, with the reference typed, so an auditor or administrator
    probing references shows on the guessing anomaly like anyone else."""
    emergency.emergency_access_refused_for_role(viewer=request.viewer, reference=reference, reason=reason)
    why = EmergencyAccessRequest.Refusal.WRONG_ROLE.label
    refuse(request, status=403, event="break_glass_refused", purpose=f"{reason}; {why}", case_reference=reference)


def _after_asking(request: HttpRequest, asked: emergency.Asked) -> HttpResponse:
    if asked.opened is not None:
        messages.success(request, f"You have access to {asked.opened.reference} for the next hour. This has been recorded.")
        return redirect("case-detail", reference=asked.opened.reference)
    # The same words whether the case exists or not: nothing here says which.
    messages.success(
        request,
        "Your request has been sent to the coordinator and chair of the case's MARAC area. "
        "You will be told when they decide. You see nothing of the case until then.",
    )
    return redirect("emergency-mine")


@require_GET
def my_emergency_requests(request: HttpRequest) -> HttpResponse:
    """The person's own asks, newest first, with the way into a case while its grant runs."""
    if not may_break_glass(request.viewer):
        refuse(request, status=403, event="break_glass_denied", purpose="your emergency access requests")
    asks = EmergencyAccessRequest.objects.filter(requester=request.user).select_related("grant").order_by("-requested_at", "-pk")
    now = timezone.now()
    rows = [_requester_row(ask, now) for ask in asks[:LIST_LENGTH]]
    approver = bool(request.viewer.areas_for(*EMERGENCY_APPROVER_ROLES))
    context = {"rows": rows, "approver": approver, "extension_shows": EXTENSION_SHOWS}
    return render(request, "referrals/emergency_mine.html", context)


def _requester_row(ask: EmergencyAccessRequest, now) -> dict:
    status = emergency.shown_status(ask, now)
    grant = getattr(ask, "grant", None)
    running = grant is not None and grant.ended_at is None and grant.expires_at > now
    return {
        "ask": ask,
        "status": STATUS_LABELS[status],
        "pending": status == EmergencyAccessRequest.Status.PENDING,
        "until": grant.expires_at if running and grant else None,
        "extended": running and grant is not None and grant.extended,
    }


@require_GET
def emergency_requests(request: HttpRequest) -> HttpResponse:
    """For the coordinators and chairs of the cases' areas: asks to decide, and access open now."""
    areas = request.viewer.areas_for(*EMERGENCY_APPROVER_ROLES)
    if not areas:
        refuse(request, status=403, event="emergency_requests_denied", purpose="emergency access requests")
    people = ("requester", "requester_agency", "requester_area", "case__area")
    pending = emergency.pending_for_approver(areas, excluding=request.user).select_related(*people).order_by("requested_at", "pk")
    running = emergency.running_in_areas(areas).select_related("case__area", "user", "request__decided_by").order_by("expires_at")
    context = {"pending": list(pending[:LIST_LENGTH]), "running": list(running[:LIST_LENGTH]), "extension_shows": EXTENSION_SHOWS}
    return render(request, "referrals/emergency_requests.html", context)


@require_http_methods(["GET", "POST"])
def emergency_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (perhaps extended, with a coded reason) or refuse one ask."""
    ask = emergency_request_get_for_approver(request, pk, purpose="decide emergency access")
    form = EmergencyDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            decided = emergency.emergency_request_decide(
                ask=ask,
                approve=decision != EmergencyDecisionForm.REFUSE,
                extension_reason=form.cleaned_data["extension_reason"],
                viewer=request.viewer,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _decided_message(decided, approving=decision != EmergencyDecisionForm.REFUSE))
            return redirect("emergency-requests")
    status = emergency.shown_status(ask)
    pending = status == EmergencyAccessRequest.Status.PENDING
    context = {
        "ask": ask,
        "status": STATUS_LABELS[status],
        "pending": pending,
        "form": form,
        "minutes": settings.MARAC_BREAK_GLASS_MINUTES,
        "extension_shows": EXTENSION_SHOWS,
    }
    return render(request, "referrals/emergency_decide.html", context)


# Why an approval the service refused at the decision was refused, told to the approver: about the
# requester as they are now (emergency.py checks them again), never about the case.
CLOSED_BECAUSE = {
    EmergencyAccessRequest.Refusal.ALREADY_RELATED: "the person asking now has access to the case through their own role",
    EmergencyAccessRequest.Refusal.WRONG_ROLE: "the person asking no longer holds the role they asked under",
}


def _decided_message(ask: EmergencyAccessRequest, *, approving: bool) -> str:
    told = "The person asking has been told."
    if approving and ask.status == EmergencyAccessRequest.Status.REFUSED:
        because = CLOSED_BECAUSE.get(EmergencyAccessRequest.Refusal(ask.refusal), ask.get_refusal_display().lower())
        return f"The request for {ask.reference} could not be approved and is closed: {because}. {told}"
    return f"You {'approved' if approving else 'refused'} the request for emergency access to {ask.reference}. {told}"


@require_POST
def emergency_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    ask = emergency_request_get_for_requester(request, pk, purpose="withdraw emergency access request")
    try:
        emergency.emergency_request_withdraw(ask=ask, by=request.user, request=request)
    except ValidationError as error:
        messages.info(request, error.messages[0])
    else:
        messages.success(request, f"You withdrew your request for {ask.reference}.")
    return redirect("emergency-mine")
