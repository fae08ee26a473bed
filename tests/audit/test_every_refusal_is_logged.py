"""Every 403 and 404 on a page that shows or protects victim data, the audit workspace or the admin
writes one denied access event (marac.refusals). The walk covers every URL pattern: each is either
requested here by a signed-in person who may not use it, with real objects filled in, or listed as
exempt with the reason, so a new URL fails this file until someone decides which it is."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path

import marac.urls
from audit.models import AccessEvent
from marac.access_levels import public
from marac.help_views import PAGES as HELP_PAGES
from marac.refusals import UNROUTED, refuse
from tests.marac.test_every_url_requires_sign_in import PATTERNS as SAMPLE_PATHS
from tests.security.test_idor_crawl import fill, objects  # noqa: F401  (objects: the crawl's real case, meeting, referral...)

HELP_SLUGS = [page.slug for page in HELP_PAGES]

# Open to everyone, or to every signed-in person whatever their role: they refuse nobody.
EXEMPT = {
    "sign-in": "public: signing in",
    "two-factor": "a sign-in step, before the second factor",
    "enrol": "a sign-in step, before the second factor",
    "sign-out": "a sign-in step, before the second factor",
    "accessibility": "public: the accessibility statement",
    "help": "every signed-in person: help pages describe the service, no records",
    **{f"help-{slug}": "every signed-in person: help pages describe the service, no records" for slug in HELP_SLUGS},
    "healthz": "public: the load balancer's health check, no data",
    "home": "every signed-in person's start page",
    "notifications": "every signed-in person's own notifications; nothing about a case",
    "notifications-mark-all-read": "every signed-in person, for their own notifications only",
    "notification-mark-read": "every signed-in person, for their own notifications only: another's id is a logged 404 "
    "(tests/marac/test_notifications.py)",
    "email-preferences": "every signed-in person's own choice of emails",
    "account": "every signed-in person's own account",
    "password-change": "every signed-in person's own password",
    "backup-codes": "every signed-in person's own backup codes",
    "confirm-identity": "every signed-in person confirming it is them",
    "case-list": "every signed-in person: lists only the cases they have a relationship with",
    "case-search": "every signed-in person: searches only the cases they have a relationship with",
    "action-tracker": "every signed-in person: lists only the actions they track",
    # The partner API takes a token, not a session; its refusals are logged and proven in tests/api.
    "api-token": "partner API (token endpoint): tests/api/test_api_idor.py",
    "api-schema": "partner API (its schema, no data): tests/api/test_api_schema.py",
    "api-referrals": "partner API, by token: tests/api/test_api_idor.py",
    "api-referral": "partner API, by token: a foreign id is a logged 404 (tests/api/test_api_idor.py)",
    "api-actions": "partner API, by token: tests/api/test_api_idor.py",
    "api-action": "partner API, by token: a foreign id is a logged 404 (tests/api/test_api_idor.py)",
    "api-not-found": "partner API: any address under /api/v1/ that is no endpoint, a 404 for everyone",
}

# Who may not use each protected page (given the crawl's objects), and the event their refusal writes.
REFUSED = {
    "checklist-start": ("auditor", "checklist_denied"),
    "break-glass": ("auditor", "break_glass_denied"),
    "emergency-mine": ("auditor", "break_glass_denied"),
    "emergency-withdraw": ("coordinator", "emergency_request_denied"),  # not theirs: 404
    "emergency-requests": ("referrer", "emergency_requests_denied"),
    "emergency-decide": ("referrer", "emergency_request_denied"),  # not an approver of its area: 404
    "case-detail": ("unrelated", "case_access_denied"),
    "victim-edit": ("auditor", "victim_edit_denied"),
    "checklist-new": ("auditor", "checklist_denied"),
    "checklist-summary": ("auditor", "checklist_denied"),
    "checklist-step": ("auditor", "checklist_denied"),
    "checklist-judgement": ("auditor", "checklist_denied"),
    "checklist-refer": ("auditor", "checklist_denied"),
    "incident-new": ("auditor", "incident_denied"),
    "tool-assessment-new": ("auditor", "tool_assessment_denied"),
    "tool-assessment-refer": ("auditor", "tool_referral_denied"),
    "perpetrator-new": ("auditor", "add_perpetrator_denied"),
    "household-new": ("auditor", "add_household_member_denied"),
    "household-encompass": ("auditor", "encompass_record_denied"),
    "case-transfer": ("referrer", "transfer_denied"),
    "transfer-offers": ("referrer", "transfer_offers_denied"),
    "transfer-decide": ("referrer", "transfer_offer_denied"),
    "transfer-withdraw": ("referrer", "transfer_offer_denied"),
    "team-cases": ("referrer", "team_denied"),
    "case-team": ("referrer", "team_case_denied"),
    "case-team-end": ("referrer", "team_case_denied"),
    "allocation-open": ("coordinator", "allocation_access_denied"),
    "case-history": ("referrer", "history_denied"),
    "perpetrator-links": ("referrer", "perpetrator_links_denied"),
    "my-referrals": ("auditor", "my_referrals_denied"),
    "triage": ("referrer", "triage_denied"),
    "referral-decide": ("referrer", "triage_denied"),
    "referral-resubmit": ("coordinator", "resubmit_denied"),
    "referral-withdraw": ("coordinator", "withdraw_denied"),
    "referral-detail": ("coordinator", "referral_conversation_denied"),
    "referral-reply": ("coordinator", "referral_reply_denied"),
    "referral-voice": ("auditor", "victim_voice_denied"),
    "case-alerts-acknowledge": ("auditor", "case_alert_denied"),
    "case-alert-open": ("unrelated", "case_access_denied"),  # an alert on a case they have no tie to: a logged 404
    "first-contact": ("coordinator", "first_contact_denied"),  # only an IDVA records it
    "retention-review": ("referrer", "retention_review_denied"),
    "erasure-ask": ("referrer", "erasure_request_denied"),
    "erasure-confirm": ("referrer", "erasure_request_denied"),  # not a decider in its area: a logged 404
    "erasure-withdraw": ("referrer", "erasure_request_denied"),
    "legal-hold-new": ("referrer", "legal_hold_denied"),
    "legal-hold-lift": ("referrer", "legal_hold_denied"),
    "case-chronology-pdf": ("referrer", "pdf_download_denied"),
    "case-close": ("referrer", "case_close_denied"),
    "case-reopen": ("auditor", "case_reopen_denied"),
    "meeting-list": ("referrer", "meeting_access_denied"),
    "meeting-new": ("agency_rep", "meeting_change_denied"),
    "action-update": ("referrer", "action_access_denied"),
    "meeting-detail": ("referrer", "meeting_access_denied"),
    "meeting-invitations": ("chair", "meeting_change_denied"),
    "agenda-build": ("chair", "meeting_change_denied"),
    "agenda-add": ("chair", "meeting_change_denied"),
    "agenda-remove": ("chair", "meeting_change_denied"),
    "agenda-move": ("chair", "meeting_change_denied"),
    "agenda-issue": ("chair", "meeting_change_denied"),
    "meeting-packs-retry": ("chair", "meeting_change_denied"),
    "meeting-confidentiality": ("coordinator", "meeting_change_denied"),
    "meeting-register": ("agency_rep", "meeting_change_denied"),
    "meeting-advance": ("agency_rep", "meeting_change_denied"),
    "minutes-issue": ("agency_rep", "meeting_change_denied"),
    "meeting-pdf": ("agency_rep", "pdf_download_denied"),
    "meeting-case": ("agency_rep", "confidentiality_not_accepted"),
    "meeting-research": ("coordinator", "research_denied"),
    "meeting-minutes": ("agency_rep", "confidentiality_not_accepted"),
    "meeting-action-new": ("agency_rep", "confidentiality_not_accepted"),
    "meeting-addendum": ("agency_rep", "confidentiality_not_accepted"),
    "ni32-report": ("referrer", "report_access_denied"),
    "ni32-repeats": ("referrer", "report_access_denied"),
    "data-return": ("referrer", "report_access_denied"),
    "data-return-csv": ("referrer", "report_access_denied"),
    "data-return-pdf": ("referrer", "report_access_denied"),
    "measures": ("referrer", "report_access_denied"),
    "measures-csv": ("referrer", "report_access_denied"),
    "audit-search": ("coordinator", "audit_access_denied"),
    "audit-export": ("coordinator", "audit_access_denied"),
    "audit-case": ("coordinator", "audit_access_denied"),
    "audit-person": ("coordinator", "audit_access_denied"),
    "audit-anomalies": ("coordinator", "audit_access_denied"),
    "audit-chain": ("coordinator", "audit_access_denied"),
    "audit-rows": ("coordinator", "audit_access_denied"),
    # The case importer (issue 19, ADR 0029): coordinators only; a check that is not theirs is a logged 404.
    "cases-import": ("referrer", "case_import_denied"),
    "cases-import-template": ("referrer", "case_import_denied"),
    "cases-import-confirm": ("referrer", "case_import_denied"),
    "cases-import-cancel": ("referrer", "case_import_denied"),
}


def service_patterns(resolver=None, prefix=""):
    """(name, route) for every URL pattern outside the admin, recursing into includes."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            yield from service_patterns(entry, route)
        else:
            assert isinstance(entry, URLPattern)
            yield entry.name, route


SERVICE = list(service_patterns())
ADMIN = [sample for sample, _ in SAMPLE_PATHS if sample.startswith("/admin/")]


def new_events(since: int) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(sequence__gt=since).order_by("sequence"))


def last_sequence() -> int:
    return AccessEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def refused(client, url: str) -> tuple[int, list[AccessEvent]]:
    """The status of one refused request (GET, or POST for a POST-only page) and the events it wrote."""
    since = last_sequence()
    response = client.get(url)
    if response.status_code == 405:
        since = last_sequence()
        response = client.post(url)
    return response.status_code, new_events(since)


def test_every_service_page_is_either_refused_here_or_exempt_with_a_reason():
    names = [name for name, _ in SERVICE]
    assert len(names) == len(set(names)), "every service page has its own name"
    assert not set(EXEMPT) & set(REFUSED)
    undecided = set(names) - set(EXEMPT) - set(REFUSED)
    assert not undecided, f"New pages: add each to REFUSED (who may not use it) or to EXEMPT (why it refuses nobody): {undecided}"
    assert not (set(EXEMPT) | set(REFUSED)) - set(names), "listed pages that no longer exist"
    assert len(ADMIN) > 30


@pytest.mark.parametrize("name,route", [(n, r) for n, r in SERVICE if n in REFUSED], ids=[n for n, _ in SERVICE if n in REFUSED])
def test_a_refusal_on_every_protected_page_writes_one_denied_event(request, sign_in_fully, objects, auditor, unrelated, name, route):  # noqa: F811
    persona, event = REFUSED[name]
    user = request.getfixturevalue(persona)
    status, events = refused(sign_in_fully(user), fill(name, route, objects))
    assert status in (403, 404), (name, persona, status)
    assert [(e.event, e.outcome, e.user) for e in events] == [(event, "denied", user)], name


def test_every_admin_page_refuses_and_logs_a_signed_in_person_who_is_not_an_administrator(sign_in_fully, coordinator):
    client = sign_in_fully(coordinator)
    for url in ADMIN:
        status, events = refused(client, url)
        assert status == 403, url
        assert [(e.event, e.outcome, e.user) for e in events] == [("admin_access_denied", "denied", coordinator)], url


def test_what_the_admin_refuses_an_administrator_is_logged(sign_in_fully, admin_user, area):
    status, events = refused(sign_in_fully(admin_user), f"/admin/marac/maracarea/{area.pk}/delete/")  # nobody deletes
    assert status == 403
    assert [(e.event, e.outcome, e.purpose) for e in events] == [("admin_action_denied", "denied", "admin marac_maracarea_delete")]


@pytest.mark.parametrize(
    "persona,url,event",
    [
        ("referrer", "/audit/", "audit_access_denied"),
        ("coordinator", "/admin/", "admin_access_denied"),
        ("referrer", "/referrals/triage/", "triage_denied"),
        ("auditor", "/referrals/", "my_referrals_denied"),
        ("agency_rep", "/meetings/new/", "meeting_change_denied"),
        ("auditor", "/cases/new-checklist/", "checklist_denied"),
    ],
)
def test_probing_a_page_for_another_role_leaves_a_trace(request, sign_in_fully, persona, url, event):
    user = request.getfixturevalue(persona)
    status, events = refused(sign_in_fully(user), url)
    assert status == 403
    assert [(e.event, e.outcome, e.user) for e in events] == [(event, "denied", user)]


def test_a_case_that_exists_and_one_that_does_not_are_refused_alike(sign_in_fully, unrelated, case_a):
    client = sign_in_fully(unrelated)
    answers = []
    for reference in (case_a.reference, "NWL-2099-9999"):
        since = last_sequence()
        response = client.get(f"/cases/{reference}/")
        answers.append((response.status_code, [t.name for t in response.templates], [e.event for e in new_events(since)]))
    assert answers[0] == answers[1]
    status, templates, events = answers[0]
    assert (status, templates[0], events) == (404, "404.html", ["case_access_denied"])


def test_what_a_person_typed_into_the_address_is_not_logged(sign_in_fully, auditor, coordinator, chair, police, area):
    from datetime import timedelta

    from django.utils import timezone

    from meetings import services as meetings

    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police],
        by=coordinator,
    )
    probes = [(auditor, "/audit/people/sarah.mitchell/"), (coordinator, f"/meetings/{meeting.pk}/documents/sarah-mitchell.pdf")]
    for user, url in probes:
        status, events = refused(sign_in_fully(user), url)
        assert status == 404
        assert len(events) == 1 and events[0].outcome == "denied"
        assert "sarah" not in f"{events[0].purpose} {events[0].case_reference}".lower()


@pytest.mark.parametrize("url", ["/no-such-page/", "/cases/not a reference/", "/static/no-such-file.css", "/admin"])
def test_an_address_that_leads_to_no_page_is_not_logged(sign_in_fully, referrer, url):
    since = last_sequence()
    response = sign_in_fully(referrer).get(url)
    assert response.status_code in (301, 404)
    assert new_events(since) == []


def test_a_refusal_a_page_catches_is_still_logged(sign_in_fully, coordinator, objects, other_area, idva):  # noqa: F811
    """Adding a case to an agenda by reference: another area's case is a form error, not a 404 page,
    and the probe is in the log all the same."""
    from tests.conftest import make_case

    elsewhere = make_case(other_area, idva, coordinator)
    since = last_sequence()
    response = sign_in_fully(coordinator).post(
        f"/meetings/{objects['pk']['meeting']}/agenda/add/", {"reference": elsewhere.reference, "because": "review"}
    )
    assert response.status_code == 200
    assert [(e.event, e.case_reference) for e in new_events(since) if e.outcome == "denied"] == [
        ("case_access_denied", elsewhere.reference)
    ]


# A page that says no without marac.refusals is caught by the middleware's safety net.
def _bare_403(request):
    raise PermissionDenied


def _bare_404(request, reference):
    raise Http404


def _routed_403(request):
    refuse(request, status=403, event="example_denied", purpose="example")


def _caught_and_allowed(request):
    try:
        refuse(request, status=404, event="example_denied", purpose="example")
    except Http404:
        return HttpResponse("shown anyway")


@public
def _public_404(request):
    raise Http404


urlpatterns = [
    path("example/bare-403/", _bare_403, name="example-bare-403"),
    path("example/bare-404/<str:reference>/", _bare_404, name="example-bare-404"),
    path("example/routed-403/", _routed_403, name="example-routed-403"),
    path("example/caught/", _caught_and_allowed, name="example-caught"),
    path("example/public-404/", _public_404, name="example-public-404"),
    *marac.urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_a_refusal_raised_without_the_helper_is_logged_once_by_the_safety_net(sign_in_fully, referrer):
    client = sign_in_fully(referrer)
    assert refused(client, "/example/bare-403/") == (403, [AccessEvent.objects.get(event=UNROUTED, purpose="403 on example-bare-403")])
    status, events = refused(client, "/example/bare-404/NWL-2026-0001/")
    assert status == 404
    assert [(e.event, e.case_reference, e.purpose, e.user) for e in events] == [
        (UNROUTED, "NWL-2026-0001", "404 on example-bare-404", referrer)
    ]


@pytest.mark.urls(__name__)
def test_a_refusal_through_the_helper_is_logged_once_not_again_by_the_safety_net(sign_in_fully, referrer):
    client = sign_in_fully(referrer)
    status, events = refused(client, "/example/routed-403/")
    assert status == 403
    assert [e.event for e in events] == ["example_denied"]
    since = last_sequence()
    assert client.get("/example/caught/").status_code == 200
    assert [e.event for e in new_events(since)] == ["example_denied"]


@pytest.mark.urls(__name__)
def test_a_404_on_a_public_page_is_not_a_refusal(client, sign_in_fully, referrer):
    since = last_sequence()
    assert client.get("/example/public-404/").status_code == 404
    assert sign_in_fully(referrer).get("/example/public-404/").status_code == 404
    assert new_events(since) == []
