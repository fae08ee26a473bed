"""A child's school and Operation Encompass notification, recorded from the case page by the
case owners (referrals/encompass.py has the rules and the service)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

import audit
from marac.concurrency import StaleRecord
from marac.security.policy import RedactedView
from referrals import encompass
from referrals.household_forms import EncompassForm, encompass_values
from referrals.models import HouseholdMember
from referrals.presenters import case_summary

SAVED_MEANWHILE = (
    "Someone else changed this child's school or notification while you were editing, so nothing was saved. "
    "Your changes are still below, with theirs in the fields you had not touched: check them, then save again."
)


@require_http_methods(["GET", "POST"])
def encompass_edit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, member, relationships = encompass.member_get_for_owner(request, reference, pk)
    view = RedactedView(member, relationships, "household.")
    form = EncompassForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid() and _saved(request, member, form):
        messages.success(request, "School and Operation Encompass notification saved.")
        return redirect("case-detail", reference=case.reference)
    if form.version_refused:
        _catch_up(form, member, opened_version=None)
    context = {"case": case_summary(case), "form": form, "name": view.name, "member": member}
    response = HttpResponse(render_to_string("referrals/encompass_form.html", context, request))
    # The form shows the child's name and what is recorded (on opening, or merged in after a
    # colleague's save): each logged as read.
    shown = view.revealed | {f"household.{name}" for name in encompass.FIELDS}
    audit.record_case_reads(request=request, reads={case.reference: shown}, purpose=encompass.PURPOSE)
    return response


def _saved(request: HttpRequest, member: HouseholdMember, form: EncompassForm) -> bool:
    """Save, or put the reason it could not on the form (keeping what was typed)."""
    data = form.cleaned_data
    try:
        encompass.encompass_record(
            member=member,
            school=data["school"],
            notified_at=data["notified_at"],
            notified_by=data["told_by"],
            expected_version=data["row_version"],
            by=request.user,
        )
        return True
    except StaleRecord:
        _catch_up(form, member, opened_version=data["row_version"])
        form.add_error(None, SAVED_MEANWHILE)
    except ValidationError as error:
        form.add_error(None, error)  # the service's last word (not a child, say)
    return False


def _catch_up(form: EncompassForm, member: HouseholdMember, *, opened_version: int | None) -> None:
    current = HouseholdMember.objects.select_related("case__data_key").get(pk=member.pk)
    form.catch_up(current, opened_version=opened_version, values=encompass_values)
