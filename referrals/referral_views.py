"""Referrals after they are made: the referrer's list, the coordinator's triage queue and
decision, and incidents recorded on a case by any agency related to it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

import audit
from marac import listing
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import RedactedView, Rel, writable_fields
from referrals import sections, selectors, services
from referrals.access import (
    case_get_for_user,
    matches_for_coordinators,
    referral_get_for_user,
    referrer_scope,
    refuse_unless,
)
from referrals.case_page import Reads, assessment_fact, referral_thread
from referrals.checklists import Band
from referrals.forms import DecisionForm, HouseholdMemberForm, IncidentForm, PerpetratorForm
from referrals.models import Referral
from referrals.presenters import case_summary
from referrals.voice import LOG_PREFIX, voice_shown

DECISIONS = {
    DecisionForm.ACCEPT: Referral.Status.ACCEPTED,
    DecisionForm.DECLINE: Referral.Status.DECLINED,
    DecisionForm.MORE_INFO: Referral.Status.MORE_INFO,
}
RISK_LEVELS = {band.value: band.value.capitalize() for band in Band}
# What a triage or list row shows: the checklist, or the assessment with another risk tool (ADR 0024).
ROW_RELATED = (
    "case__area",
    "case__data_key",
    "case__victim",
    "case__referring_agency",
    "assessment",
    "tool_assessment__assessing_agency",
    "tool_assessment__recorded_by",
    "referring_agency",
)


MY_REFERRAL_SORTS = {"reference": ("case__reference",), "submitted": ("submitted_on", "pk"), "status": ("status", "-submitted_on", "-pk")}
MY_REFERRAL_COLUMNS = [("Case", "reference"), ("Victim", None), ("Submitted", "submitted"), ("Status", "status"), ("MARAC meeting", None)]


def _my_referral_filters(request: HttpRequest, params, scope) -> dict:
    areas = {m.area_id: m.area.name for m in request.viewer.memberships_for(Role.REFERRER)}
    statuses = [(value, label) for value, label in Referral.Status.choices if value != Referral.Status.DRAFT]
    return {
        "status": listing.choice(params, "status", dict(statuses)),
        "area": listing.id_param(params, "area", set(areas)),
        "risk": listing.choice(params, "risk", RISK_LEVELS),
        "choices": {"status": statuses, "area": sorted(areas.items(), key=lambda a: a[1]), "risk": RISK_LEVELS.items()},
    }


def _my_referrals_filtered(scope, filters: dict):
    referrals = _with_risk(selectors.referrer_referrals(scope), filters["risk"])
    if filters["status"]:
        referrals = referrals.filter(status=filters["status"])
    if filters["area"]:
        referrals = referrals.filter(case__area_id=filters["area"])
    return referrals


@require_GET
def my_referrals(request: HttpRequest) -> HttpResponse:
    scope = referrer_scope(request.viewer)
    if scope is None:
        refuse(request, status=403, event="my_referrals_denied", purpose="my referrals")
    params = request.GET
    filters = _my_referral_filters(request, params, scope)
    sort = listing.sort_from(params, MY_REFERRAL_SORTS, default="-submitted")
    filters["sort"] = f"{'-' if sort.descending else ''}{sort.key}"
    page = listing.page_of(params, _my_referrals_filtered(scope, filters).order_by(*sort.order_by).select_related(*ROW_RELATED))
    referrals = list(page)
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
    context = {
        "referrals": rows,
        "drafts": draft_rows,
        "sections": more,
        "filters": filters,
        "headers": listing.headers(params, MY_REFERRAL_COLUMNS, sort),
        "pagination": listing.pagination(params, page, "referrals"),
    }
    response = render(request, "referrals/my_referrals.html", context)
    reads = sections.with_section_reads({d.case.reference: victim.revealed for d, _, victim in draft_rows}, more)
    for referral, _, victim, view, _ in rows:
        reads.setdefault(referral.case.reference, set()).update(victim.revealed | view.revealed)
    audit.record_case_reads(request=request, reads=reads, purpose="my referrals")
    return response


TRIAGE_SORTS = {
    "submitted": ("submitted_on", "pk"),
    "reference": ("case__reference",),
    "score": ("assessment__score", "submitted_on", "pk"),
}
TRIAGE_COLUMNS = [("Submitted", "submitted"), ("Case", "reference"), ("Score", "score")]


@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    """Referrals waiting for a decision, a page at a time, and those waiting on their referrer.
    Only the rows on the page are decrypted, matched across areas and logged."""
    areas = request.viewer.areas_for(Role.COORDINATOR)
    if not areas:
        refuse(request, status=403, event="triage_denied", purpose="triage")
    params = request.GET
    filters = _triage_filters(request, params, areas)
    chosen = {filters["area"]} if filters["area"] else areas
    sort = listing.sort_from(params, TRIAGE_SORTS, default="submitted")
    filters["sort"] = f"{'-' if sort.descending else ''}{sort.key}"
    queue = _with_risk(selectors.triage_queue(chosen), filters["risk"]).order_by(*sort.order_by).select_related(*ROW_RELATED)
    page = listing.page_of(params, queue)
    waiting_page = listing.page_of(
        params, _with_risk(selectors.waiting_on_referrer(chosen), filters["risk"]).select_related(*ROW_RELATED), param="waiting_page"
    )
    referrals, waiting = list(page), list(waiting_page)
    victims = {r.pk: RedactedView(r.case.victim, {Rel.COORDINATOR}) for r in referrals + waiting}
    matches = selectors.matches_elsewhere_for([r.case.victim for r in referrals], timezone.localdate())
    now = timezone.now()
    context = {
        "rows": [(r, case_summary(r.case), victims[r.pk], matches[r.case.victim.pk]) for r in referrals],
        "waiting": [(r, case_summary(r.case), victims[r.pk], (now - r.decided_at).days if r.decided_at else None) for r in waiting],
        "filters": filters,
        "sorts": listing.headers(params, TRIAGE_COLUMNS, sort),
        "pagination": listing.pagination(params, page, "referrals waiting for a decision"),
        "waiting_pagination": listing.pagination(params, waiting_page, "referrals waiting on the referrer", param="waiting_page"),
    }
    response = render(request, "referrals/triage.html", context)
    # A referral waiting for a decision shows its score, level and criteria (_referral_facts.html).
    reads = {r.case.reference: victims[r.pk].revealed for r in waiting}
    reads.update({r.case.reference: victims[r.pk].revealed | {assessment_fact(r), "referral.criteria"} for r in referrals})
    audit.record_case_reads(request=request, reads=reads, purpose="triage")
    shown = {match.reference: {"cross_area_match"} for found in matches.values() for match, _ in found}
    audit.record_case_reads(request=request, reads=shown, purpose="cross-area match in triage")
    return response


def _with_risk(referrals, risk: str):
    referrals = selectors.with_referral_risk_level(referrals)
    return referrals.filter(risk_level=risk) if risk else referrals


def _triage_filters(request: HttpRequest, params, areas: set[int]) -> dict:
    names = {area.pk: area.name for area in request.viewer.area_records_for(Role.COORDINATOR)}
    return {
        "area": listing.id_param(params, "area", areas),
        "risk": listing.choice(params, "risk", RISK_LEVELS),
        "choices": {"area": sorted(names.items(), key=lambda a: a[1]), "risk": RISK_LEVELS.items()},
    }


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
    reads.referral_facts(referral)  # the score, level and criteria the page shows, logged as the case page logs them
    context = {"referral": referral, "case": case_summary(case), "victim": victim, "matches": matches, "form": form, "thread": thread}
    context["voice"] = voice_shown(referral, reads.view(referral, LOG_PREFIX))  # what she said, to decide on (ADR 0025)
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
        try:
            services.perpetrator_add(case=case, details=form.cleaned_data, by=request.user, today=timezone.localdate())
        except services.CaseErased:  # erased after the case was read: nothing was written
            form.add_error(None, "This case has been erased, so nothing can be added to it.")
        else:
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
