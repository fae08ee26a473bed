"""Retention with legal hold (issue 18, ADR 0027): the retention page for an area's coordinators
and chair, legal holds on a case, two-person erasure and a case's chronology as a PDF for a
review. References, dates and codes only, except a hold's reason, read through the field policy.
Anyone who may see the case but not do this gets a logged 403; anyone who may not see it, the
getter's logged 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac.models import MaracArea
from marac.pdf import STATIC_BASE, PdfRenderError, recipient_line, render_pdf
from marac.reauth import reauthentication_redirect, recently_reauthenticated
from marac.refusals import refuse
from marac.security.policy import RedactedView, Rel
from marac.viewer import Viewer
from referrals import retention, sections
from referrals.access import case_get_for_user, refuse_unless
from referrals.case_page import Reads, case_page, local_day, person_name
from referrals.models import Case, ErasureRequest, LegalHold
from referrals.presenters import case_summary
from referrals.retention_forms import HoldForm, LiftForm
from referrals.sections import CaseEvent, Section

DECIDING = {Rel.COORDINATOR, Rel.CHAIR}
# What a chronology may be downloaded for: the kinds of hold, or a review of another kind.
PURPOSES = {**dict(LegalHold.Kind.choices), "case_review": "A multi-agency case review"}


@require_GET
def retention_review(request: HttpRequest) -> HttpResponse:
    """The areas the person coordinates or chairs: cases due, asks waiting, holds, missing periods."""
    areas = request.viewer.areas_for(*retention.DECIDERS)
    if not areas:
        refuse(request, status=403, event="retention_review_denied", purpose="retention review")
    found = retention.review(MaracArea.objects.filter(pk__in=areas), today=timezone.localdate())
    rows = [(f, [(case, retention.due_since(case)) for case in f.due]) for f in found]
    audit.record(event="retention_review_viewed", request=request, purpose=f"retention review of areas {sorted(areas)}")
    return render(request, "referrals/retention_review.html", {"areas": rows, "user_id": request.user.pk})


@require_http_methods(["GET", "POST"])
def erasure_ask(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose="ask for erasure")
    refuse_unless(Rel.COORDINATOR in relationships, request, case, event="erasure_request_denied", purpose="ask for erasure")
    problem = retention.why_not_due(case, today=timezone.localdate())
    if request.method == "POST" and not problem:
        try:
            retention.erasure_ask(case=case, by=request.user, request=request)
        except ValidationError as error:
            problem = error.messages[0]
        else:
            messages.success(request, f"Erasure of {case.reference} is asked for. Another coordinator or the chair must confirm it.")
            return redirect("retention-review")
    context = {"case": case_summary(case), "problem": problem, "posted": request.method == "POST"}
    return render(request, "referrals/retention_ask.html", context, status=400 if problem and request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def erasure_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    ask = retention.erasure_request_get_for_decider(request, pk, purpose="confirm erasure")
    if ask.asked_by_id == request.user.pk:
        purpose = f"confirm their own erasure request {pk}"
        refuse(request, status=403, event="erasure_confirm_denied", purpose=purpose, case_reference=ask.case.reference)
    problem = ""
    if request.method == "POST":
        try:
            retention.erasure_confirm(ask=ask, by=request.user, request=request)
        except ValidationError as error:
            problem = error.messages[0]
        else:
            messages.success(request, f"{ask.case.reference} has been erased. Its reference and dates remain; nothing else can be read.")
            return redirect("retention-review")
        ask.refresh_from_db()
    # Every hold the case has had, lifted ones too (kind, dates, who, codes: never the reason), so
    # the second person sees a hold lifted just before the ask, perhaps by the asker. Only while the
    # case is still in the area asked in: a hold the receiving area placed is not this area's to see.
    still_here = ask.case.area_id == ask.area_id
    holds = list(ask.case.legal_holds.select_related("placed_by", "lifted_by")) if still_here else []
    context = {"ask": ask, "problem": problem, "holds": holds}
    return render(request, "referrals/retention_confirm.html", context, status=400 if problem else 200)


@require_POST
def erasure_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    ask = retention.erasure_request_get_for_decider(request, pk, purpose="withdraw erasure request")
    try:
        retention.erasure_withdraw(ask=ask, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"The request to erase {ask.case.reference} is withdrawn.")
    return redirect("retention-review")


def _case_for_holds(request: HttpRequest, reference: str, purpose: str) -> Case:
    case, relationships = case_get_for_user(request, reference, purpose=purpose)
    refuse_unless(bool(relationships & DECIDING) and not case.is_shredded, request, case, event="legal_hold_denied", purpose=purpose)
    return case


@require_http_methods(["GET", "POST"])
def hold_new(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_holds(request, reference, "place legal hold")
    form = HoldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            retention.hold_place(case=case, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"A legal hold is placed on {case.reference}. It cannot be erased until the hold is lifted.")
            return redirect("case-detail", reference=case.reference)
    return render(request, "referrals/retention_hold.html", {"case": case_summary(case), "form": form})


@require_http_methods(["GET", "POST"])
def hold_lift(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _case_for_holds(request, reference, "lift legal hold")
    hold = case.legal_holds.filter(pk=pk, lifted_at=None).first()
    if hold is None:
        refuse(request, status=404, event="legal_hold_denied", purpose=f"lift legal hold {pk}", case_reference=case.reference)
    form = LiftForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            retention.hold_lift(hold=hold, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The legal hold on {case.reference} is lifted.")
            return redirect("case-detail", reference=case.reference)
    context = {"case": case_summary(case), "form": form, "hold": hold, "kind": hold.get_kind_display()}
    return render(request, "referrals/retention_lift.html", context)


@require_GET
def chronology_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's chronology and its holds, for a review (a domestic homicide review, most often),
    for the coordinator or chair of the case's area. Not the referrer: a review asks the MARAC for
    its chronology, and each agency brings its own records."""
    case, relationships = case_get_for_user(request, reference, purpose="chronology for a review")
    refuse_unless(bool(relationships & DECIDING), request, case, event="pdf_download_denied", purpose="chronology for a review")
    if case.is_shredded:
        audit.record(event="pdf_download_denied", request=request, case_reference=case.reference, purpose="chronology of an erased case")
        return render(request, "referrals/retention_erased.html", {"reference": case.reference}, status=410)
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    purpose = request.GET.get("for", "case_review")
    purpose = purpose if purpose in PURPOSES else "case_review"
    html, reads = _chronology_html(request, case, relationships, PURPOSES[purpose])
    try:
        pdf = render_pdf(html)
    except PdfRenderError as error:
        audit.record(event="pdf_render_failed", request=request, case_reference=case.reference, purpose="chronology for a review")
        back = reverse("case-detail", args=[case.reference])
        return render(request, "components/pdf_failed.html", {"message": str(error), "back_url": back}, status=503)
    audit.record(event="pdf_download", request=request, case_reference=case.reference, purpose=f"chronology for a review: {purpose}")
    audit.record_case_reads(request=request, reads=reads, purpose=f"chronology pdf for {purpose}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-chronology.pdf"'
    return response


def _chronology_html(request: HttpRequest, case: Case, relationships: set[Rel], purpose_label: str) -> tuple[str, dict[str, set[str]]]:
    """The case page's chronology lines (its own and other apps'), and the holds with their reasons
    through the field policy; what it revealed, per case, for the access log."""
    reads = Reads(relationships)
    page = case_page(case, reads, today=timezone.localdate())
    shown = sections.case_page_sections(request.viewer, case, relationships)
    events = sorted([*page.events, *(e for section in shown for e in section.events)], key=lambda e: e.order)
    holds = [(hold, reads.view(hold, "legal_hold.")) for hold in case.legal_holds.select_related("placed_by", "lifted_by")]
    context = {
        "case": case_summary(case),
        "events": events,
        "holds": holds,
        "purpose": purpose_label,
        "pdf_static": STATIC_BASE,
        "prepared_on": date_format(timezone.localdate(), "j F Y"),
        **recipient_line(request.viewer, case.area_id),
    }
    html = render_to_string("pdf/case_chronology.html", context)
    return html, sections.with_section_reads({case.reference: reads.fields()}, shown)


def case_section(viewer: Viewer, case: Case, relationships: set[Rel]) -> Section:
    """On the case page, for the area's coordinator and chair only: where the case stands for
    retention, its legal holds (the reason through the field policy) and their chronology lines.
    Nobody else sees a hold: a homicide review says the victim has died. Registered from
    ReferralsConfig.ready(). Three queries."""
    if not relationships & DECIDING or case.is_shredded:
        return Section("referrals/retention_case_section.html", {"shown": False})
    holds = [(h, RedactedView(h, relationships, "legal_hold.")) for h in case.legal_holds.select_related("placed_by", "lifted_by")]
    asks = list(case.erasure_requests.select_related("asked_by", "decided_by"))
    events = []
    for hold, _ in holds:
        kind = hold.get_kind_display().lower()
        events.append(CaseEvent(local_day(hold.placed_at), f"Legal hold placed ({kind}) by {person_name(hold.placed_by)}", hold.placed_at))
        if hold.lifted_at:
            events.append(
                CaseEvent(local_day(hold.lifted_at), f"Legal hold lifted ({kind}) by {person_name(hold.lifted_by)}", hold.lifted_at)
            )
    for ask in asks:
        events.append(CaseEvent(local_day(ask.asked_at), f"Erasure asked for by {person_name(ask.asked_by)}", ask.asked_at))
        if ask.decided_at and ask.status != ErasureRequest.Status.PENDING:
            text = f"Erasure request {ask.get_status_display().lower()} ({person_name(ask.decided_by)})"
            events.append(CaseEvent(local_day(ask.decided_at), text, ask.decided_at))
    status = _retention_status(case, in_force=[h for h, _ in holds if h.lifted_at is None])
    waiting = next((a for a in asks if a.status == ErasureRequest.Status.PENDING), None)
    context = {
        "shown": True,
        "reference": case.reference,
        "holds": holds,
        "status": status,
        "waiting": waiting,
        "may_ask": Rel.COORDINATOR in relationships,
        "purposes": PURPOSES,
    }
    return Section(
        "referrals/retention_case_section.html",
        context,
        views=[(case.reference, view) for _, view in holds],
        summary=[("Retention", status["text"])],
        events=events,
    )


def _retention_status(case: Case, *, in_force: list[LegalHold]) -> dict:
    """One sentence on where the case stands, and whether erasure may be asked for now."""
    today = timezone.localdate()
    if in_force:
        return {"text": "Kept: a legal hold is in force", "due": False}
    if case.area.retention_months is None:
        return {"text": f"{case.area.name} has not set a retention period: the case is kept until it does", "due": False}
    if case.status != Case.Status.CLOSED:
        return {"text": f"Kept while open; due for erasure {case.area.retention_months} months after it closes", "due": False}
    closed = retention.closed_cases([case.area]).filter(pk=case.pk).first()
    if closed is None or closed.last_closed_at is None:
        return {"text": "Closed", "due": False}
    since = retention.due_since(closed)
    problem = retention.why_not_due(case, today=today)
    if not problem:
        return {"text": f"Due for erasure since {date_format(since, 'j F Y')}", "due": True}
    # Past its time but still kept (a referral open on it): say why, not a date gone by.
    return {"text": f"Kept until {date_format(since, 'j F Y')}" if since > today else problem, "due": False}
