"""A case's safe-contact alerts (referrals/alerts.py): a notification's link to the case, and
acknowledging the alerts shown at the top of the case page."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from marac.refusals import refuse
from referrals import alerts
from referrals.access import case_get_for_user, refuse_unless
from referrals.models import CaseAlert


@require_GET
def case_alert_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification's link (ids only, ADR 0018): to the case, whose getter checks access again,
    so someone who has since lost it gets the usual logged 404."""
    alert = CaseAlert.objects.select_related("case").filter(pk=pk).first()
    if alert is None:
        refuse(request, status=404, event="case_access_denied", purpose=f"case alert {pk}")
    case, _ = case_get_for_user(request, alert.case.reference, purpose="case alert")
    return redirect("case-detail", reference=case.reference)


@require_POST
def case_alerts_acknowledge(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose="case alert")
    allowed = not case.is_shredded and bool(relationships & alerts.SEE_ALERTS)
    refuse_unless(allowed, request, case, event="case_alert_denied", purpose="case alert")
    # The alerts the page showed: a change made since stays open until the person has seen it.
    shown = {int(value) for value in request.POST.getlist("alert") if value.isdigit() and len(value) < 19}
    if alerts.alerts_acknowledge(case=case, by=request.user, relationships=relationships, alert_ids=shown, request=request):
        messages.success(request, "You have acknowledged the change to the safe contact details.")
    return redirect("case-detail", reference=case.reference)
