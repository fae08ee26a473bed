"""The auditor's workspace: search the access log, answer "who accessed this record?", see one
person's activity and the anomalies, verify the chain, and export (itself logged). Auditors read
events in full and never victims' personal data: events hold none."""

import csv

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

import audit
from audit.chain import verify
from audit.models import AccessEvent
from audit.workspace import selectors
from audit.workspace.access import audit_scope, audited_case_get, audited_person_get
from audit.workspace.forms import AuditSearchForm
from audit.workspace.row_views import last_rows_check
from marac.reauth import reauthentication_redirect, recently_reauthenticated

PAGE_SIZE = 50
CSV_LIMIT = 50_000


def _searched(request: HttpRequest, events):
    form = AuditSearchForm(request.GET or None)
    found = selectors.search(events, **form.cleaned_data) if form.is_valid() else events.select_related("user").order_by("-sequence")
    return form, found


@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    _, events = audit_scope(request)
    form, found = _searched(request, events)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "query": query.urlencode()})


def _inert(text: str) -> str:
    """A spreadsheet runs a cell starting with one of these as a formula; a quote makes it text.
    References, usernames and purposes can start with "-", "+" or "@"."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    _, events = audit_scope(request)  # access first: 403 or 404 before asking for a code
    # The whole log of an area leaves the service here, so, like packs and the data return, a
    # session left open on a shared computer is not enough: a security code in the last 15 minutes.
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    form, found = _searched(request, events)
    if form.is_bound and not form.is_valid():
        # Never "everything" because a filter was mistyped: show the search with its errors.
        return render(request, "audit/search.html", {"form": form, "page": Paginator(found.none(), PAGE_SIZE).get_page(1), "query": ""})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csv.writer(response)
    writer.writerow(["sequence", "at", "user", "event", "case", "fields", "purpose", "outcome", "client address", "hash"])
    for e in found[:CSV_LIMIT]:
        writer.writerow(
            [
                e.sequence,
                e.at.isoformat(),
                *map(
                    _inert,
                    [e.user.username if e.user else "", e.event, e.case_reference, " ".join(e.fields), e.purpose, e.outcome, e.client_ip],
                ),
                e.hash,
            ]
        )
    # Which filters were used, never their values: the log is permanent and a value could be a name.
    used = sorted(name for name, value in (form.cleaned_data.items() if form.is_bound else []) if value)
    audit.record(event="audit_export", request=request, purpose=("filters: " + ", ".join(used)) if used else "all events")
    return response


@require_GET
def audit_case(request: HttpRequest, reference: str) -> HttpResponse:
    areas, events = audit_scope(request)
    case = audited_case_get(request, areas, reference)
    context = {
        "reference": reference,
        "area": case.area.name,
        "people": selectors.who_accessed(events, reference),
        "events": events.filter(case_reference=reference).select_related("user").order_by("-sequence")[:500],
    }
    audit.record(event="audit_case_report", request=request, case_reference=reference, purpose="who accessed this record")
    return render(request, "audit/case.html", context)


@require_GET
def audit_person(request: HttpRequest, username: str) -> HttpResponse:
    areas, events = audit_scope(request)
    person = audited_person_get(request, areas, username)
    activity = events.filter(user=person).order_by("-sequence")[:500]
    return render(request, "audit/person.html", {"person": person, "events": activity})


@require_GET
def audit_anomalies(request: HttpRequest) -> HttpResponse:
    _, events = audit_scope(request)
    context = {"anomalies": selectors.anomalies(events), "guesses_threshold": settings.MARAC_AUDIT_EMERGENCY_GUESSES}
    response = render(request, "audit/anomalies.html", context)
    # The auditor's home page counts the anomalies since their last visit, which this records.
    audit.record(event=selectors.ANOMALIES_VIEWED, request=request, purpose="anomalies")
    return response


@require_GET
def audit_chain(request: HttpRequest) -> HttpResponse:
    _, events = audit_scope(request)
    verdict = verify()
    # Every auditor's home page shows when the chain was last verified, and what was found.
    outcome = AccessEvent.Outcome.ALLOWED if verdict.intact else AccessEvent.Outcome.INTEGRITY_FAILURE
    found = f"{verdict.count} events intact" if verdict.intact else f"broken at event {verdict.broken_at}"
    audit.record(event=selectors.CHAIN_VERIFIED, request=request, purpose=found, outcome=outcome)
    return render(request, "audit/chain.html", {"verdict": verdict, "rows_checked": last_rows_check(events)})
