"""Referrals after they are made: the referrer's list, the coordinator's triage queue and
decision, and incidents recorded on a case by any agency related to it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac.models import Role
from marac.security.policy import RedactedView, Rel, writable_fields
from meetings.models import Action
from meetings.presenters import action_shown
from referrals import selectors, services
from referrals.access import case_get_for_user, matches_for_coordinators, may_break_glass, refuse_unless
from referrals.forms import BreakGlassForm, DecisionForm, HouseholdMemberForm, IncidentForm, PerpetratorForm, TransferForm
from referrals.models import Case, Referral, RiskAssessment
from referrals.presenters import case_summary

DECISIONS = {
    DecisionForm.ACCEPT: Referral.Status.ACCEPTED,
    DecisionForm.DECLINE: Referral.Status.DECLINED,
    DecisionForm.MORE_INFO: Referral.Status.MORE_INFO,
}
ROW_RELATED = ("case__area", "case__data_key", "case__victim", "case__referring_agency", "assessment", "referring_agency", "meeting")


@require_GET
def my_referrals(request: HttpRequest) -> HttpResponse:
    mine = [(m.area_id, m.agency_id) for m in request.memberships if m.role == Role.REFERRER]
    if not mine:
        raise PermissionDenied
    theirs = Q()
    for area_id, agency_id in mine:
        theirs |= Q(case__area_id=area_id, case__referring_agency_id=agency_id)
    live = ~Q(case__status=Case.Status.SHREDDED)  # an erased case has nothing left to read
    referrals = Referral.objects.filter(theirs, live, referring_agency_id__in={a for _, a in mine}).select_related(*ROW_RELATED)
    referrals = list(referrals.order_by("-submitted_on", "-pk")[:200])
    drafts = list(
        RiskAssessment.objects.filter(theirs, live, assessed_by=request.user, status=RiskAssessment.Status.DRAFT).select_related(
            "case__area", "case__data_key", "case__victim"
        )
    )
    # Everything here is the person's own agency's referral, so they read it as its referrer.
    rows = [
        (r, case_summary(r.case), RedactedView(r.case.victim, {Rel.REFERRER}), RedactedView(r, {Rel.REFERRER}, "referral."))
        for r in referrals
    ]
    draft_rows = [(d, case_summary(d.case), RedactedView(d.case.victim, {Rel.REFERRER})) for d in drafts]
    # The agency's own open actions on the cases it referred, agreed at their meetings.
    actions = [
        action_shown(a, {Rel.REFERRER, Rel.OWN_AGENCY})
        for a in Action.objects.filter(theirs, live, agency_id__in={a for _, a in mine}, status__in=Action.INCOMPLETE)
        .select_related("case__data_key", "agency", "meeting")
        .order_by("due_on", "pk")[:200]
    ]
    context = {"referrals": rows, "drafts": draft_rows, "actions": actions}
    response = render(request, "referrals/my_referrals.html", context)
    reads = {d.case.reference: victim.revealed for d, _, victim in draft_rows}
    for action in actions:
        reads.setdefault(action.reference, set()).update(action.view.revealed)
    for referral, _, victim, view in rows:
        reads.setdefault(referral.case.reference, set()).update(victim.revealed | view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose="my referrals")
    return response


@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    areas = {m.area_id for m in request.memberships if m.role == Role.COORDINATOR}
    if not areas:
        raise PermissionDenied
    queue = list(
        Referral.objects.filter(case__area_id__in=areas, status=Referral.Status.SUBMITTED)
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related(*ROW_RELATED)
        .order_by("submitted_on", "pk")[:500]
    )
    victims = [RedactedView(r.case.victim, {Rel.COORDINATOR}) for r in queue]
    matches = selectors.matches_elsewhere_for([r.case.victim for r in queue], timezone.localdate())
    rows = [(r, case_summary(r.case), v, matches[r.case.victim.pk]) for r, v in zip(queue, victims, strict=True)]
    response = render(request, "referrals/triage.html", {"rows": rows})
    audit.record_case_reads(
        request=request, reads={r.case.reference: v.revealed for r, v in zip(queue, victims, strict=True)}, purpose="triage"
    )
    shown = {match.reference: {"cross_area_match"} for found in matches.values() for match, _ in found}
    audit.record_case_reads(request=request, reads=shown, purpose="cross-area match in triage")
    return response


@require_http_methods(["GET", "POST"])
def referral_decide(request: HttpRequest, pk: int) -> HttpResponse:
    referral = Referral.objects.filter(pk=pk).select_related("case").first()
    reference = referral.case.reference if referral else str(pk)
    case, relationships = case_get_for_user(request, reference, purpose="triage")  # 404 and logged if not theirs
    refuse_unless(Rel.COORDINATOR in relationships, request, case, event="triage_denied", purpose="triage")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            status = DECISIONS[form.cleaned_data["decision"]]
            services.referral_decide(referral=referral, status=status, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(request, f"Referral for {case.reference}: {Referral.Status(status).label.lower()}.")
            return redirect("triage")
        except ValidationError as error:
            form.add_error(None, error)
    if case.is_shredded:
        raise PermissionDenied
    victim = RedactedView(case.victim, relationships)
    matches = matches_for_coordinators(request, case, relationships)
    context = {"referral": referral, "case": case_summary(case), "victim": victim, "matches": matches, "form": form}
    response = render(request, "referrals/decision.html", context)
    audit.record_case_reads(request=request, reads={case.reference: victim.revealed}, purpose="triage")
    return response


@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose="flag and tag")
    allowed = not case.is_shredded and "summary" in writable_fields("referrals.incident", relationships)
    refuse_unless(allowed, request, case, event="incident_denied", purpose="flag and tag")
    agency = _agency_for(request, case)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, repeat = services.incident_record(case=case, agency=agency, by=request.user, today=timezone.localdate(), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            note = " This makes it a repeat case: refer it to MARAC again." if repeat else ""
            messages.success(request, f"Incident recorded.{note}")
            return redirect("case-detail", reference=case.reference)
    return render(request, "referrals/incident_form.html", {"case": case_summary(case), "form": form})


def _agency_for(request: HttpRequest, case):
    """The agency the person records for: their membership in the case's area, preferring the
    agency that referred the case, then the one they represent at its meeting."""
    in_area = [m for m in request.memberships if m.area_id == case.area_id]
    if not in_area:
        raise Http404("No membership in this area")
    in_area.sort(key=lambda m: (m.agency_id != case.referring_agency_id, m.role != Role.AGENCY_REP))
    return in_area[0].agency


def _case_for_owner(request: HttpRequest, reference: str, model_label: str, purpose: str):
    """The case, for someone who may write this kind of record on it (otherwise 403, logged)."""
    case, relationships = case_get_for_user(request, reference, purpose=purpose)
    allowed = not case.is_shredded and "name" in writable_fields(model_label, relationships)
    refuse_unless(allowed, request, case, event=f"{purpose.replace(' ', '_')}_denied", purpose=purpose)
    return case


@require_http_methods(["GET", "POST"])
def perpetrator_new(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_owner(request, reference, "referrals.perpetrator", "add perpetrator")
    form = PerpetratorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.perpetrator_add(case=case, details=form.cleaned_data, by=request.user, today=timezone.localdate())
        messages.success(request, "Perpetrator added.")
        return redirect("case-detail", reference=case.reference)
    return render(request, "referrals/person_form.html", {"case": case_summary(case), "form": form, "title": "Add a perpetrator"})


@require_http_methods(["GET", "POST"])
def household_member_new(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_owner(request, reference, "referrals.householdmember", "add household member")
    form = HouseholdMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        details = {k: v for k, v in form.cleaned_data.items() if k != "is_child"}
        services.household_member_add(
            case=case, details=details, is_child=form.cleaned_data["is_child"], by=request.user, today=timezone.localdate()
        )
        messages.success(request, "Household member added.")
        return redirect("case-detail", reference=case.reference)
    return render(
        request, "referrals/person_form.html", {"case": case_summary(case), "form": form, "title": "Add someone in the household"}
    )


@require_http_methods(["GET", "POST"])
def case_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose="transfer")
    allowed = not case.is_shredded and Rel.COORDINATOR in relationships
    refuse_unless(allowed, request, case, event="transfer_denied", purpose="transfer")
    form = TransferForm(request.POST or None, current_area=case.area)
    if request.method == "POST" and form.is_valid():
        services.case_transfer(case=case, to_area=form.cleaned_data["to_area"], reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, f"{case.reference} moved to {form.cleaned_data['to_area'].name} with its history.")
        return redirect("case-list")
    return render(request, "referrals/person_form.html", {"case": case_summary(case), "form": form, "title": "Transfer the case"})


def _referral_for_referrer(request: HttpRequest, pk: int, purpose: str):
    referral = Referral.objects.filter(pk=pk).select_related("case").first()
    case, relationships = case_get_for_user(request, referral.case.reference if referral else str(pk), purpose=purpose)
    refuse_unless(Rel.REFERRER in relationships, request, case, event=f"{purpose}_denied", purpose=purpose)
    return case, referral


@require_POST
def referral_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    case, referral = _referral_for_referrer(request, pk, "resubmit")
    try:
        services.referral_resubmit(referral=referral, by=request.user)
        messages.success(request, f"Referral for {case.reference} sent back to the coordinator.")
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("my-referrals")


@require_POST
def referral_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    case, referral = _referral_for_referrer(request, pk, "withdraw")
    try:
        services.referral_withdraw(referral=referral, reason="Withdrawn by the referrer", by=request.user)
        messages.success(request, f"Referral for {case.reference} withdrawn. It is kept on the case.")
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("my-referrals")


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access to a case the person has no relationship with: an hour, logged, flagged."""
    if not may_break_glass(request.memberships):
        raise PermissionDenied
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.break_glass(
                user=request.user,
                memberships=request.memberships,
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("reference", error)
        else:
            messages.success(request, f"You have access to {case.reference} for the next hour. This has been recorded.")
            return redirect("case-detail", reference=case.reference)
    return render(request, "referrals/break_glass.html", {"form": form})
