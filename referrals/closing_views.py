"""Closing and reopening a case (issue 16): a confirmation page that says what will happen and
asks why, for the coordinator of the case's area only (anyone else who may see the case gets a
logged 403; anyone who may not, the getter's 404)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from marac.security.policy import Rel
from referrals import closing
from referrals.access import case_get_for_user, refuse_unless
from referrals.decision_forms import CaseStatusForm
from referrals.models import Case, CaseStatusChange
from referrals.presenters import case_summary

PAGES = {
    "close": {
        "from_status": Case.Status.OPEN,
        "reasons": CaseStatusChange.CLOSE_REASONS,
        "service": closing.case_close,
        "title": "Close the case",
        "button": "Close the case",
        "done": "closed",
    },
    "reopen": {
        "from_status": Case.Status.CLOSED,
        "reasons": CaseStatusChange.REOPEN_REASONS,
        "service": closing.case_reopen,
        "title": "Reopen the case",
        "button": "Reopen the case",
        "done": "reopened",
    },
}


def _status_page(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    page = PAGES[action]
    case, relationships = case_get_for_user(request, reference, purpose=f"{action} case")
    allowed = Rel.COORDINATOR in relationships and not case.is_shredded
    refuse_unless(allowed, request, case, event=f"case_{action}_denied", purpose=f"{action} case")
    if case.status != page["from_status"]:
        messages.info(request, f"This case is already {'open' if action == 'reopen' else 'closed'}.")
        return redirect("case-detail", reference=case.reference)
    form = CaseStatusForm(request.POST if request.method == "POST" else None, reasons=page["reasons"])
    if request.method == "POST" and form.is_valid():
        try:
            page["service"](case=case, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{case.reference} has been {page['done']}. The reason is kept in its history.")
            return redirect("case-detail", reference=case.reference)
    # Nothing of the victim is shown here: the page names the case by its reference only.
    return render(request, "referrals/case_status.html", {"case": case_summary(case), "form": form, "action": action, **page})


@require_http_methods(["GET", "POST"])
def case_close(request: HttpRequest, reference: str) -> HttpResponse:
    return _status_page(request, reference, "close")


@require_http_methods(["GET", "POST"])
def case_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _status_page(request, reference, "reopen")
