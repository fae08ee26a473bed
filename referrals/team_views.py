"""The team lead's pages (ADR 0019): their agency's cases in their area, with who is on each,
and putting workers on a case or taking them off. References, statuses, dates and names of
colleagues only: a team lead reads a case's content only when allocated to it, through the case
page like anyone else."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac import listing
from marac.models import Role
from marac.refusals import refuse
from referrals import teams
from referrals.access import allocation_get_for_team_lead, allocation_get_for_worker, case_get_for_team_lead
from referrals.team_forms import AllocationForm


@require_GET
def team_cases(request: HttpRequest) -> HttpResponse:
    """Cases with nobody on them first, then the newest: one query for the page, one for who is on it."""
    if not request.viewer.has_role(Role.TEAM_LEAD):
        refuse(request, status=403, event="team_denied", purpose="team cases")
    params = listing.only(request.GET, ("page",))
    page = listing.page_of(params, teams.team_rows(teams.team_cases(request.viewer)))
    cases = list(page)
    on_case = teams.allocations_by_case([case.pk for case in cases])
    rows = [(case, on_case.get(case.pk, [])) for case in cases]
    audit.record(event="team_cases_listed", request=request, purpose="team cases")
    context = {
        "rows": rows,
        "unallocated": teams.unallocated_count(request.viewer),
        "pagination": listing.pagination(params, page, "cases"),
    }
    return render(request, "referrals/team_cases.html", context)


@require_http_methods(["GET", "POST"])
def case_team(request: HttpRequest, reference: str) -> HttpResponse:
    """Who is on a case, and a form to put a worker of the agency on it (or cover until a date)."""
    case = case_get_for_team_lead(request, reference, purpose="case team")
    form = AllocationForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            teams.allocation_add(case=case, user=data["worker"], kind=data["kind"], until=data.get("until"), by=request.user)
        except ValidationError as error:
            form.add_error("worker", error)
        else:
            messages.success(request, f"{data['worker'].display_name} is now on {case.reference}.")
            return redirect("case-team", reference=case.reference)
    audit.record(event="case_team_viewed", request=request, case_reference=case.reference, purpose="case team")
    context = {"case": case, "allocations": teams.current_allocations(case), "form": form}
    return render(request, "referrals/case_team.html", context)


@require_POST
def case_team_end(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    allocation, case = allocation_get_for_team_lead(request, reference, pk)
    try:
        teams.allocation_end(allocation=allocation, by=request.user)
    except ValidationError as error:  # ended by someone else a moment ago
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{allocation.user.display_name} is no longer on {case.reference}.")
    return redirect("case-team", reference=case.reference)


@require_GET
def allocation_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification's link: to the case the person was put on, whose page checks access again
    (an allocation since ended, or a membership since lost, is the case page's logged 404)."""
    allocation = allocation_get_for_worker(request, pk)
    return redirect("case-detail", reference=allocation.case.reference)
