"""Case pages. Every case is fetched through referrals.access, every victim field goes through
the field policy, and every page that reveals victim data writes access events."""

import secrets
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac import listing
from marac.concurrency import VERSION_FIELDS, StaleRecord
from marac.models import Role
from marac.security.policy import WITHHELD, RedactedView, Rel, readable_fields, writable_fields
from referrals import alerts, first_contact, perpetrator_links, sections, selectors, services, transfers
from referrals.access import (
    AREA_ROLES,
    case_get_for_user,
    cases_listed_for,
    matches_for_coordinators,
    refuse_unless,
    relationships_to_case,
)
from referrals.case_page import Reads, case_page
from referrals.checklists import Band
from referrals.forms import CaseSearchForm, victim_form_class
from referrals.models import Case, Victim
from referrals.presenters import case_summary

VICTIM = "referrals.victim"
LIST_ROLES = (*AREA_ROLES, Role.REFERRER)


def _saved(request: HttpRequest, case, form) -> bool:
    """Save the form's changes, or put the reason it could not on the form (keeping the input)."""
    changes = {name: form.cleaned_data[name] for name in form.changed_data if name not in VERSION_FIELDS}
    try:
        services.victim_update(
            victim=case.victim, changes=changes, expected_version=form.cleaned_data["row_version"], by=request.user, request=request
        )
        return True
    except StaleRecord:
        _catch_up(form, case.victim, opened_version=form.cleaned_data["row_version"])
        form.add_error(
            None,
            "Someone else changed these details while you were editing, so nothing was saved. "
            "Your changes are still below, with their changes in the fields you had not touched: "
            "check them, then save again.",
        )
    except services.CaseErased:
        form.add_error(None, "This case has been erased, so its details can no longer be changed.")
    return False


def _catch_up(form, victim: Victim, *, opened_version: int | None) -> None:
    """After someone else's save, bring the form up to date (marac.concurrency): a field this
    person left alone takes the current value, so saving again cannot put back what the other
    person replaced (an old safe address the perpetrator knows, say)."""
    names = [name for name in form.fields if name not in VERSION_FIELDS]
    current = Victim.objects.select_related("case__data_key").get(pk=victim.pk)
    form.catch_up(current, opened_version=opened_version, values=lambda record: {name: getattr(record, name, None) for name in names})


# ?sort= keys and the columns they order by (ascending); the newest case first by default.
CASE_SORTS = {
    "reference": ("reference",),
    "created": ("created_at", "pk"),
    "area": ("area__name", "-created_at", "-pk"),
    "status": ("status", "-created_at", "-pk"),
}
CASE_COLUMNS = [
    ("Reference", "reference"),
    ("Victim", None),
    ("MARAC area", "area"),
    ("Referred by", None),
    ("Risk level", None),
    ("Status", "status"),
    ("Opened", "created"),
]
RISK_LEVELS = {band.value: band.value.capitalize() for band in Band}


# The list's own parameters: anything else in its URL (a name or date of birth typed into an old
# link) is dropped before any link is built from them.
LIST_PARAMS = ("search", "status", "area", "meeting", "risk", "sort", "page")
FILTER_PARAMS = ("status", "area", "meeting", "risk", "sort")
# What was searched for stays on the server, in the session, under a random token: the URL, and
# so the browser's history, the sort and page links and the sign-in page's `next`, carry only
# the token. A few recent searches are kept, so the back button still works for them.
SEARCHES = "case_searches"
SEARCHES_KEPT = 5
SEARCH_EXPIRED = "Your search has expired, search again"


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the person may see, found by reference or by name and date of birth, filtered,
    sorted and paged in SQL; only the page's rows are decrypted, shown and logged. A search is
    made by posting to case_search, which keeps its terms in the session and sends the person
    here with `?search=<token>`."""
    params = listing.only(request.GET, LIST_PARAMS)
    search = CaseSearchForm()
    if token := params.get("search", ""):
        terms = request.session.get(SEARCHES, {}).get(token) if len(token) <= 64 else None
        if terms is None:
            del params["search"]  # links do not carry a token that finds nothing
            messages.info(request, SEARCH_EXPIRED)
        else:
            search = CaseSearchForm(_form_data(terms))
    return _case_list_page(request, params, search)


@require_POST
def case_search(request: HttpRequest) -> HttpResponse:
    """The search box and the filters, posted so what was typed never travels in a URL. A search
    is remembered under a new token and shown by case_list; a refused one (a name without a date
    of birth, an impossible date) is shown here, with what was typed."""
    params = listing.only(request.POST, FILTER_PARAMS)
    search = CaseSearchForm(request.POST)
    if not search.is_valid():
        return _case_list_page(request, params, search)
    text, born = search.cleaned_data["q"], search.cleaned_data["dob"]
    if text or born:
        params["search"] = _remember(request, {"q": text, "dob": born.isoformat() if born else ""})
    return redirect(reverse("case-list") + listing.with_params(params).rstrip("?"))


def _remember(request: HttpRequest, terms: dict) -> str:
    token = secrets.token_urlsafe(16)
    searches = {**request.session.get(SEARCHES, {}), token: terms}
    request.session[SEARCHES] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return token


def _form_data(terms: dict) -> dict:
    """The search form as typed, from the terms remembered: the date in its three boxes."""
    data = {"q": terms.get("q", "")}
    try:
        born = date.fromisoformat(terms.get("dob", ""))
    except ValueError:
        born = None
    if born:
        data.update({"dob_day": str(born.day), "dob_month": str(born.month), "dob_year": str(born.year)})
    return data


def _case_list_page(request: HttpRequest, params: QueryDict, search: CaseSearchForm) -> HttpResponse:
    viewer = request.viewer
    filters = _case_filters(viewer, params)
    cases = _filtered_cases(viewer, filters)
    searched = search.is_bound and search.is_valid() and bool(search.cleaned_data["q"] or search.cleaned_data["dob"])
    if searched:
        cases = _searched(viewer, cases, search.cleaned_data)
    elif search.is_bound and search.errors:
        cases = cases.none()
    sort = listing.sort_from(params, CASE_SORTS, default="-created")
    filters["sort"] = f"{'-' if sort.descending else ''}{sort.key}"
    # The page's ids first, then their rows: skipping to page 100 then walks the narrow date
    # index, not 5,000 rows joined to their area, agency, key and victim.
    page = listing.page_of(params, cases.order_by(*sort.order_by).values_list("pk", flat=True))
    rows, risk_read = [], {}
    for case in _cases_in_order(list(page)):
        relationships = relationships_to_case(viewer, case)
        risk, read = _risk_shown(case, relationships)
        rows.append((case_summary(case), None if case.is_shredded else RedactedView(case.victim, relationships), risk))
        if read:  # the level another tool gave, or the checklist's (selectors.with_risk_level)
            risk_read[case.reference] = {"toolassessment.level"} if case.risk_from_tool else {"assessment.score"}
    if searched:
        # That a search happened and how many it found; never what was searched for.
        audit.record(event="case_search", request=request, purpose=f"case search: {page.paginator.count} results")
    context = {
        "rows": rows,
        "search": search,
        "searched": searched,
        "filters": filters,
        "headers": listing.headers(params, CASE_COLUMNS, sort),
        "pagination": listing.pagination(params, page, "cases"),
        "page_number": page.number,
    }
    response = HttpResponse(render_to_string("referrals/case_list.html", context, request))
    # What the page revealed: the victim's fields its template read, and the risk level where shown.
    reads = {c.reference: set(v.revealed if v else ()) | risk_read.get(c.reference, set()) for c, v, _ in rows}
    audit.record_case_reads(request=request, reads={ref: fields for ref, fields in reads.items() if fields}, purpose="case list")
    return response


def _searched(viewer, cases, cleaned: dict):
    if cleaned["dob"]:
        return selectors.victim_search(viewer, cases, cleaned["q"], cleaned["dob"])
    return selectors.cases_with_reference(cases, cleaned["q"])


def _risk_shown(case: Case, relationships: set[Rel]) -> tuple[object, bool]:
    """The case's risk level as the case page shows it (referrals.case_page): only to those who
    may read the checklist's answers, else Withheld; and whether it was read (to be logged)."""
    if case.risk_level is None:
        return "Not assessed", False
    if "answers" not in readable_fields("referrals.riskassessment", relationships):
        return WITHHELD, False
    return RISK_LEVELS.get(case.risk_level, "Not assessed"), True


def _case_filters(viewer, params: QueryDict) -> dict:
    """The filters asked for, each checked against what may be chosen (anything else is ignored),
    with the choices for the form."""
    areas = {area.pk: area.name for area in viewer.area_records_for(*LIST_ROLES)}
    meetings = sections.meeting_filter()
    meeting_choices = meetings.choices(viewer) if meetings else []
    return {
        "status": listing.choice(params, "status", dict(Case.Status.choices)),
        "area": listing.id_param(params, "area", set(areas)),
        "meeting": listing.id_param(params, "meeting", {pk for pk, _ in meeting_choices}),
        "risk": listing.choice(params, "risk", RISK_LEVELS),
        "choices": {
            "status": Case.Status.choices,
            "area": sorted(areas.items(), key=lambda a: a[1]),
            "meeting": meeting_choices,
            "risk": RISK_LEVELS.items(),
        },
    }


def _cases_in_order(ids: list[int]) -> list[Case]:
    """These cases, with what the list shows of them, in the order of `ids`."""
    found = selectors.with_risk_level(Case.objects.filter(pk__in=ids)).select_related("area", "referring_agency", "data_key", "victim")
    by_id = {case.pk: case for case in found}
    return [by_id[pk] for pk in ids]


def _filtered_cases(viewer, filters: dict):
    cases = cases_listed_for(viewer)
    if filters["status"]:
        cases = cases.filter(status=filters["status"])
    if filters["area"]:
        cases = cases.filter(area_id=filters["area"])
    if filters["meeting"]:
        cases = cases.filter(pk__in=sections.meeting_filter().case_ids(viewer, filters["meeting"]))
    if filters["risk"]:
        # Only among the cases whose risk level the person may read: a case where it is Withheld
        # never matches, or the filter would tell them what the list withholds.
        readable = cases.filter(selectors.cases_related_as(viewer, selectors.RISK_READERS))
        cases = selectors.with_risk_level(readable).filter(risk_level=filters["risk"])
    return cases


@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The one place for a case (issue 16): the victim's record, the current risk, referrals with
    their decisions and conversations, incidents, checklists, meetings (from the meetings app's
    section) and a chronology, all through the field policy, every field shown logged."""
    case, relationships = case_get_for_user(request, reference, purpose="view case")
    if case.is_shredded:
        return _erased_case(request, case)
    reads = Reads(relationships)
    victim = reads.view(case.victim, "")
    household = [(m, reads.view(m, "household.")) for m in case.household.all()]
    page = case_page(case, reads, today=timezone.localdate())
    shown = sections.case_page_sections(request.viewer, case, relationships)
    context = {
        "case": case_summary(case),
        "victim": victim,
        "perpetrators": [reads.view(p, "perpetrator.") for p in case.perpetrators.all()],
        "household": household,
        "page": page,
        "summary": [row for section in shown for row in section.summary],
        "chronology": sorted([*page.events, *(e for section in shown for e in section.events)], key=lambda e: e.order),
        "can_edit": bool(writable_fields(VICTIM, relationships)),
        "can_transfer": Rel.COORDINATOR in relationships,
        # An offer to another area waiting for its coordinator (ADR 0019), shown to this area's.
        "transfer_offer": transfers.open_offer(case) if Rel.COORDINATOR in relationships else None,
        "is_closed": case.status == Case.Status.CLOSED,
        "is_referrer": Rel.REFERRER in relationships,  # answers the coordinator, or withdraws
        "may_record_incident": "summary" in writable_fields("referrals.incident", relationships),
        "may_record_first_contact": first_contact.is_idva_for(request.viewer, case, relationships),
        "may_record_tool_assessment": "rationale" in writable_fields("referrals.toolassessment", relationships),
        # Either area's coordinator or chair sees a match; only "heard at AREA on DATE".
        "matches": matches_for_coordinators(request, case, relationships),
        # The same people see a perpetrator's links to other cases; anyone else gets no lookup at all.
        "perpetrator_links": perpetrator_links.case_page_links(request, case, relationships),
        "sections": shown,
        # A safe-contact change this person has not acknowledged (referrals/alerts.py): no values.
        "alerts": alerts.open_for(case, request.user, relationships),
    }
    response = HttpResponse(render_to_string("referrals/case_detail.html", context, request))
    # Recorded even when nothing was revealed: who opened which case matters to auditors too.
    everything = sections.with_section_reads({case.reference: reads.fields()}, shown)
    audit.record_case_reads(request=request, reads=everything, purpose="view case")
    return response


def _erased_case(request: HttpRequest, case) -> HttpResponse:
    response = render(request, "referrals/case_detail.html", {"case": case_summary(case), "victim": None})
    audit.record_case_reads(request=request, reads={case.reference: set()}, purpose="view case")
    return response


@require_http_methods(["GET", "POST"])
def victim_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose="edit victim")
    writable = writable_fields(VICTIM, relationships)
    refuse_unless(bool(writable) and not case.is_shredded, request, case, event="victim_edit_denied", purpose="edit victim")
    form = victim_form_class(writable)(request.POST or None, instance=case.victim)
    if request.method == "POST" and form.is_valid() and _saved(request, case, form):
        messages.success(request, "The victim's details have been saved.")
        return redirect("case-detail", reference=case.reference)
    if form.version_refused:
        _catch_up(form, case.victim, opened_version=None)
    response = render(request, "referrals/victim_form.html", {"case": case_summary(case), "form": form})
    audit.record_case_reads(request=request, reads={case.reference: set(form.fields) - VERSION_FIELDS}, purpose="edit victim")
    return response


@require_GET
def case_history(request: HttpRequest, reference: str) -> HttpResponse:
    """The coordinator's view of how the victim record changed, field by field, through the policy."""
    case, relationships = case_get_for_user(request, reference, purpose="change history")
    allowed = not case.is_shredded and Rel.COORDINATOR in relationships
    refuse_unless(allowed, request, case, event="history_denied", purpose="change history")
    readable = set(readable_fields(VICTIM, relationships))
    changes = selectors.victim_changes(case.victim, readable)
    response = render(request, "referrals/history.html", {"case": case_summary(case), "changes": changes})
    shown = {name for change in changes for name, _, _ in change["diffs"]}
    audit.record_case_reads(request=request, reads={case.reference: shown}, purpose="change history")
    return response
