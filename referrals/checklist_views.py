"""The outreach worker's path: start a risk checklist with the victim, answer it in steps (each
saved as a draft), see the score and band, add professional judgement, and refer to MARAC from
it without typing anything twice."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

import audit
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import writable_fields
from referrals import services
from referrals.access import case_get_for_user, matches_for_coordinators, refuse_unless
from referrals.checklists import Band
from referrals.forms import ChecklistStepForm, JudgementForm, ReferForm, StartChecklistForm, step_count
from referrals.models import RiskAssessment
from referrals.presenters import case_summary


def _referrer_memberships(request):
    return request.viewer.memberships_for(Role.REFERRER)


@require_http_methods(["GET", "POST"])
def checklist_start(request: HttpRequest) -> HttpResponse:
    memberships = _referrer_memberships(request)
    if not memberships:
        refuse(request, status=403, event="checklist_denied", purpose="start a risk checklist")
    areas = [(str(m.pk), f"{m.area.name} ({m.agency.name})") for m in memberships]
    form = StartChecklistForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        membership = next(m for m in memberships if str(m.pk) == form.cleaned_data["area"])
        victim = {k: form.cleaned_data[k] for k in ("name", "date_of_birth", "address")}
        case = services.case_create(area=membership.area, referring_agency=membership.agency, victim=victim, by=request.user)
        assessment = services.assessment_start(case=case, by=request.user, on=timezone.localdate())
        return redirect("checklist-step", reference=case.reference, pk=assessment.pk, step=1)
    return render(request, "referrals/checklist_start.html", {"form": form})


def _assessment_for_writer(request: HttpRequest, reference: str, pk: int, purpose: str):
    """The case's assessment, for someone who may write it (the referrer or the coordinator)."""
    case, relationships = case_get_for_user(request, reference, purpose=purpose)
    assessment = case.assessments.filter(pk=pk).first()
    if assessment is None:
        refuse(request, status=404, event="checklist_denied", purpose=f"{purpose} (checklist {pk})", case_reference=case.reference)
    allowed = not case.is_shredded and "answers" in writable_fields("referrals.riskassessment", relationships)
    refuse_unless(allowed, request, case, event="checklist_denied", purpose=purpose)
    return case, assessment, relationships


@require_http_methods(["GET", "POST"])
def checklist_step(request: HttpRequest, reference: str, pk: int, step: int) -> HttpResponse:
    case, assessment, relationships = _assessment_for_writer(request, reference, pk, "risk checklist")
    steps = step_count(assessment.checklist)
    if not 1 <= step <= steps:
        refuse(request, status=404, event="checklist_denied", purpose=f"risk checklist (step {step})", case_reference=case.reference)
    if assessment.status != RiskAssessment.Status.DRAFT:
        return redirect("checklist-summary", reference=reference, pk=pk)
    form = ChecklistStepForm(request.POST or None, checklist=assessment.checklist, step=step, answers=assessment.answers)
    if request.method == "POST" and form.is_valid():
        services.assessment_answer(assessment=assessment, answers=form.answers(), by=request.user)
        if "back" in request.POST and step > 1:
            return redirect("checklist-step", reference=reference, pk=pk, step=step - 1)
        if step < steps and "save_and_leave" not in request.POST:
            return redirect("checklist-step", reference=reference, pk=pk, step=step + 1)
        return redirect("checklist-summary", reference=reference, pk=pk)
    context = {"case": case_summary(case), "assessment": assessment, "form": form, "step": step, "steps": steps}
    response = render(request, "referrals/checklist_step.html", context)
    audit.record_case_reads(request=request, reads={case.reference: {"answers"}}, purpose="risk checklist")
    return response


@require_http_methods(["GET"])
def checklist_summary(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    # Only those who may write the checklist get here, and the policy lets them read all of it.
    case, assessment, relationships = _assessment_for_writer(request, reference, pk, "risk checklist")
    judgement = JudgementForm(above=assessment.band) if assessment.band is not Band.HIGH else None
    return _summary(request, case, relationships, assessment, judgement)


def _summary(request: HttpRequest, case, relationships, assessment: RiskAssessment, judgement_form) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "case": case_summary(case),
        "assessment": assessment,
        "answered": _answered(assessment),
        "judgement_form": judgement_form if assessment.status == RiskAssessment.Status.DRAFT else None,
        "criteria": services.referral_criteria_for(assessment=assessment, judgement=False, today=today),
        "matches": matches_for_coordinators(request, case, relationships),
    }
    response = render(request, "referrals/checklist_summary.html", context)
    audit.record_case_reads(request=request, reads={case.reference: {"answers", "override_rationale"}}, purpose="risk checklist")
    return response


def _answered(assessment: RiskAssessment) -> list[tuple]:
    answers = assessment.answers
    return [(q, answers.get(q.id, {}).get("answer", ""), answers.get(q.id, {}).get("note", "")) for q in assessment.checklist.questions]


@require_POST
def checklist_judgement(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, assessment, relationships = _assessment_for_writer(request, reference, pk, "risk checklist")
    form = JudgementForm(request.POST, above=assessment.band)
    if form.is_valid():
        try:
            services.assessment_override(
                assessment=assessment, band=Band(form.cleaned_data["level"]), rationale=form.cleaned_data["rationale"], by=request.user
            )
            return redirect("checklist-summary", reference=reference, pk=pk)
        except ValidationError as error:
            form.add_error(None, error)
    return _summary(request, case, relationships, assessment, form)


@require_http_methods(["GET", "POST"])
def checklist_refer(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, assessment, relationships = _assessment_for_writer(request, reference, pk, "referral")
    if assessment.status != RiskAssessment.Status.DRAFT:
        return redirect("my-referrals")
    unanswered = [q for q in assessment.checklist.questions if q.id not in assessment.answers]
    form = ReferForm(request.POST or None)
    if request.method == "POST" and not unanswered and form.is_valid():
        try:
            services.referral_submit(
                assessment=assessment,
                by=request.user,
                agency=case.referring_agency,
                consent=form.cleaned_data["consent"],
                without_consent_reason=form.cleaned_data["without_consent_reason"],
                today=timezone.localdate(),
                voice=form.voice(),
            )
            return redirect("my-referrals")
        except ValidationError as error:
            form.add_error(None, error)
    criteria = services.referral_criteria_for(assessment=assessment, judgement=False, today=timezone.localdate())
    context = {"case": case_summary(case), "assessment": assessment, "form": form, "unanswered": unanswered, "criteria": criteria}
    return render(request, "referrals/checklist_refer.html", context)


@require_POST
def checklist_new_for_case(request: HttpRequest, reference: str) -> HttpResponse:
    """A further checklist on an existing case: how a repeat referral starts."""
    case, relationships = case_get_for_user(request, reference, purpose="risk checklist")
    allowed = not case.is_shredded and "answers" in writable_fields("referrals.riskassessment", relationships)
    refuse_unless(allowed, request, case, event="checklist_denied", purpose="risk checklist")
    assessment = services.assessment_start(case=case, by=request.user, on=timezone.localdate())
    return redirect("checklist-step", reference=case.reference, pk=assessment.pk, step=1)
