"""Referrals after they are made: the referrer's list, the coordinator's triage queue and
decision, and incidents recorded on a case by any agency related to it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

import audit
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import RedactedView, Rel, writable_fields
from referrals import sections, selectors, services
from referrals.access import (
    case_get_for_user,
    matches_for_coordinators,
    may_break_glass,
    referral_get_for_user,
    referrer_scope,
    refuse_unless,
)
from referrals.case_page import Reads, referral_thread
from referrals.forms import BreakGlassForm, DecisionForm, HouseholdMemberForm, IncidentForm, PerpetratorForm, TransferForm
from referrals.models import Referral
from referrals.presenters import case_summary

DECISIONS = {
    DecisionForm.ACCEPT: Referral.Status.ACCEPTED,
    DecisionForm.DECLINE: Referral.Status.DECLINED,
    DecisionForm.MORE_INFO: Referral.Status.MORE_INFO,
}
ROW_RELATED = ("case__area", "case__data_key", "case__victim", "case__referring_agency", "assessment", "referring_agency")


@require_GET
def my_referrals(request: HttpRequest) -> HttpResponse:
    scope = referrer_scope(request.viewer)
    if scope is None:
        refuse(request, status=403, event="my_referrals_denied", purpose="my referrals")
    referrals = list(selectors.referrer_referrals(scope).select_related(*ROW_RELATED)[:200])
    drafts = selectors.referrer_drafts(scope, request.user).select_related("case__area", "case__data_key", "case__victim")
    # Everything here is the person's own agency's referral, so they read it as its referrer.
    heard_on = sections.hearing_dates(referrals)
    rows = [
        (
            r,
            case_summary(r.case),
            RedactedView(r.case.victim, {Rel.REFERRER}),
            RedactedView(r, {Rel.REFERRER}, "referral."),
            heard_on.get(r.pk),
        )
        for r in referrals
    ]
    draft_rows = [(d, case_summary(d.case), RedactedView(d.case.victim, {Rel.REFERRER})) for d in drafts]
    more = sections.my_referrals_sections(request.viewer, scope)
    context = {"referrals": rows, "drafts": draft_rows, "sections": more}
    response = render(request, "referrals/my_referrals.html", context)
    reads = sections.with_section_reads({d.case.reference: victim.revealed for d, _, victim in draft_rows}, more)
    for referral, _, victim, view, _ in rows:
        reads.setdefault(referral.case.reference, set()).update(victim.revealed | view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose="my referrals")
    return response


@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    areas = request.viewer.areas_for(Role.COORDINATOR)
    if not areas:
        refuse(request, status=403, event="triage_denied", purpose="triage")
    queue = list(selectors.triage_queue(areas).select_related(*ROW_RELATED)[:500])
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
    referral, case, relationships = referral_get_for_user(request, pk, purpose="triage")
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
    refuse_unless(not case.is_shredded, request, case, event="triage_denied", purpose="triage")
    reads = Reads(relationships)
    victim = reads.view(case.victim, "")
    matches = matches_for_coordinators(request, case, relationships)
    thread = referral_thread(referral, reads)  # what was asked and answered before, if anything
    context = {"referral": referral, "case": case_summary(case), "victim": victim, "matches": matches, "form": form, "thread": thread}
    response = render(request, "referrals/decision.html", context)
    audit.record_case_reads(request=request, reads={case.reference: reads.fields()}, purpose="triage")
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
    in_area = [m for m in request.viewer.memberships if m.area_id == case.area_id]
    if not in_area:
        refuse(request, status=404, event="incident_denied", purpose="flag and tag", case_reference=case.reference)
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


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access to a case the person has no relationship with: an hour, logged, flagged."""
    if not may_break_glass(request.viewer):
        refuse(request, status=403, event="break_glass_denied", purpose="emergency access")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.break_glass(
                viewer=request.viewer,
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
