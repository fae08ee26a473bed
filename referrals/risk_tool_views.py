"""Recording an assessment made with another risk tool from the case page (ADR 0024): for the case
owners only (those the field policy lets write the rationale), through referrals.access."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import audit
from marac.refusals import refuse
from marac.security.policy import writable_fields
from referrals import risk_tool_services, risk_tools
from referrals.access import case_get_for_user, refuse_unless
from referrals.forms import ReferForm
from referrals.presenters import case_summary
from referrals.risk_tool_forms import ToolAssessmentForm
from referrals.risk_tool_page import tool_label

PURPOSE = "risk assessment"


@require_http_methods(["GET", "POST"])
def tool_assessment_new(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose=PURPOSE)
    allowed = not case.is_shredded and "rationale" in writable_fields("referrals.toolassessment", relationships)
    refuse_unless(allowed, request, case, event="tool_assessment_denied", purpose=PURPOSE)
    form = ToolAssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = risk_tools.tool_by_key(data["tool"])
        try:
            risk_tool_services.tool_assessment_record(
                case=case,
                tool=chosen.code,
                version=chosen.version,
                level=data["level"],
                assessed_on=data["assessed_on"],
                agency=data["assessing_agency"],
                rationale=data["rationale"],
                by=request.user,
                today=timezone.localdate(),
            )
        except ValidationError as error:
            form.add_error(None, error)  # a per-field dict lands beside each field; the input stays
        else:
            messages.success(request, f"The {chosen.name} assessment has been recorded.")
            return redirect("case-detail", reference=case.reference)
    return render(request, "referrals/risk_tool_form.html", {"case": case_summary(case), "form": form})


def _assessment_for_referrer(request: HttpRequest, reference: str, pk: int):
    """The case's assessment made with another tool, for one of the case's owners (who may refer
    it, as they may refer a checklist); any other id on this case is a 404, logged."""
    case, relationships = case_get_for_user(request, reference, purpose="referral")
    # Whether this person may refer at all comes first: anyone else gets the same 403 whatever the
    # id, so the answer never says which ids are this case's assessments.
    allowed = not case.is_shredded and "rationale" in writable_fields("referrals.toolassessment", relationships)
    refuse_unless(allowed, request, case, event="tool_referral_denied", purpose="referral")
    record = case.tool_assessments.select_related("case__area", "case__data_key").filter(pk=pk).first()
    if record is None:
        refuse(request, status=404, event="case_access_denied", purpose=f"referral (tool assessment {pk})", case_reference=case.reference)
    return case, record


@require_http_methods(["GET", "POST"])
def tool_assessment_refer(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Refer to MARAC on an assessment made with another tool: a police referral on DARA goes as
    it came, never re-keyed into the DASH (ADR 0024)."""
    case, record = _assessment_for_referrer(request, reference, pk)
    if record.referrals.exists():
        messages.info(request, "A referral has already been made on this assessment.")
        return redirect("case-detail", reference=case.reference)
    form = ReferForm(request.POST or None)
    today = timezone.localdate()
    if request.method == "POST" and form.is_valid():
        try:
            risk_tool_services.tool_referral_submit(
                record=record,
                by=request.user,
                agency=case.referring_agency,
                consent=form.cleaned_data["consent"],
                without_consent_reason=form.cleaned_data["without_consent_reason"],
                today=today,
                voice=form.voice(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("my-referrals")
    context = {
        "case": case_summary(case),
        "form": form,
        "assessment": tool_label(record),
        "criteria": risk_tool_services.tool_referral_criteria(record=record, today=today),
    }
    response = render(request, "referrals/risk_tool_refer.html", context)
    # The page shows the tool and its level, and the criteria, as the checklist's refer page does.
    audit.record_case_reads(request=request, reads={case.reference: {"toolassessment.level", "referral.criteria"}}, purpose="referral")
    return response
