"""Every page that shows victim data writes an access event. Every case, referral, meeting and audit URL
must be classified here, so a new view cannot slip past unclassified."""

from datetime import date

import pytest
from django.urls import get_resolver

from audit.models import AccessEvent
from referrals import risk_tool_services, services
from referrals.checklists import DASH_2009
from tests.meetings import test_meeting_urls as meeting_urls

# URL name -> (persona who may open it, path template). These pages show victim data.
SHOWS_VICTIM_DATA = {
    "case-list": ("referrer", "/cases/"),
    "case-detail": ("referrer", "/cases/{ref}/"),
    "victim-edit": ("referrer", "/cases/{ref}/victim/"),
    "checklist-summary": ("referrer", "/cases/{ref}/checklists/{draft}/"),
    "checklist-step": ("referrer", "/cases/{ref}/checklists/{draft}/step-1/"),
    "my-referrals": ("referrer", "/referrals/"),
    "triage": ("coordinator", "/referrals/triage/"),
    "referral-decide": ("coordinator", "/referrals/{referral}/decision/"),
    "case-history": ("coordinator", "/cases/{ref}/history/"),
    "perpetrator-links": ("coordinator", "/cases/{ref}/perpetrators/{perpetrator}/links/"),
    "household-encompass": ("referrer", "/cases/{ref}/household/{child}/school/"),
    "referral-detail": ("referrer", "/referrals/{referral}/"),
    "referral-withdraw": ("referrer", "/referrals/{referral}/withdraw/"),
    # Another risk tool's level and the criteria it meets (ADR 0024).
    "tool-assessment-refer": ("referrer", "/cases/{ref}/other-risk-tools/{tool}/refer/"),
    # The victim's voice on a referral waiting for more information, as stored (ADR 0025).
    "referral-voice": ("referrer", "/referrals/{waiting}/voice/"),
    # The referral's date and the date of first contact recorded (ADR 0028), for an IDVA on the case.
    "first-contact": ("referrer", "/cases/{ref}/referrals/{referral}/first-contact/"),
}
# Pages that show no victim data (a reference and an empty form at most), or only act.
NO_VICTIM_DATA = {
    # Posted to: it redirects to the case list, or shows the search form again with what was typed
    # (and its errors), never a record.
    "case-search",
    "checklist-start",
    "checklist-new",
    "checklist-judgement",
    "checklist-refer",
    "incident-new",
    "tool-assessment-new",
    "perpetrator-new",
    "household-new",
    "case-transfer",
    # Case teams and transfers (ADR 0019): references, areas, codes, dates and colleagues' names,
    # never the victim's data; the allocation link only redirects to the case page.
    "transfer-offers",
    "transfer-decide",
    "transfer-withdraw",
    "team-cases",
    "case-team",
    "case-team-end",
    "allocation-open",
    # Safe-contact alerts (ADR 0025): the notification's link only redirects to the case page, and
    # acknowledging only acts; neither shows a value.
    "case-alert-open",
    "case-alerts-acknowledge",
    # Retention, legal holds and erasure (ADR 0027): references, areas, dates, codes and
    # colleagues' names; a hold's reason is shown only in the chronology PDF, never on these pages.
    "retention-review",
    "erasure-ask",
    "erasure-confirm",
    "erasure-withdraw",
    "legal-hold-new",
    "legal-hold-lift",
    "referral-resubmit",
    "referral-reply",
    "case-close",
    "case-reopen",
    "break-glass",
    # Emergency access asks: references, people, codes and times, never the case's data.
    "emergency-mine",
    "emergency-withdraw",
    "emergency-requests",
    "emergency-decide",
    # The auditor's workspace shows events, which hold no victim data; its reports are logged too.
    "audit-search",
    "audit-export",
    "audit-case",
    "audit-person",
    "audit-anomalies",
    "audit-chain",
    # Names the kind of record and the case reference of rows put back, never their content.
    "audit-rows",
}
# Every module of the auditor's workspace (audit.workspace.row_views too), not only its views.
CASE_URL_MODULES = ("referrals.", "audit.workspace.", "meetings.", "reports.")
# NI 32's drill-down names victims (proven to record in tests/reports/test_report_pages.py); the
# figures, the data return and its exports name nobody.
REPORT_PAGES = {"ni32-repeats", "ni32-report", "data-return", "data-return-csv", "data-return-pdf", "measures", "measures-csv"}

# The chronology PDF for a review shows the holds' reasons; it asks for a fresh security code first
# and is proven to record in tests/referrals/test_chronology_pdf.py.
BEHIND_A_FRESH_CODE = {"case-chronology-pdf"}


def case_and_audit_url_names() -> set[str]:
    def walk(resolver):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                yield from walk(entry)
            elif entry.name and entry.callback.__module__.startswith(CASE_URL_MODULES):
                yield entry.name

    return set(walk(get_resolver()))


def test_every_case_referral_meeting_and_audit_url_is_classified():
    # Meeting pages are classified, and proven to record, in tests/meetings/test_meeting_urls.py.
    meeting_pages = set(meeting_urls.SHOWS_VICTIM_DATA) | meeting_urls.NO_VICTIM_DATA
    assert case_and_audit_url_names() == set(SHOWS_VICTIM_DATA) | NO_VICTIM_DATA | meeting_pages | REPORT_PAGES | BEHIND_A_FRESH_CODE


@pytest.fixture
def objects(case_a, referrer, idva, coordinator):
    draft = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    done = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=done, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=done, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))
    perpetrator = services.perpetrator_add(
        case=case_a, details={"name": "Darren Hale", "relationship_to_victim": "partner"}, by=referrer, today=date(2026, 11, 1)
    )
    child = services.household_member_add(case=case_a, details={"name": "Mia Hale"}, is_child=True, by=referrer, today=date(2026, 11, 1))
    on = date(2026, 11, 1)
    tool = risk_tool_services.tool_assessment_record(
        case=case_a, tool="dara", version="1", level="high", assessed_on=on, agency=idva, rationale="Noted", by=referrer, today=on
    )
    objects = {"ref": case_a.reference, "draft": draft.pk, "referral": referral.pk, "perpetrator": perpetrator.pk, "child": child.pk}
    again = services.assessment_start(case=case_a, by=referrer, on=on)
    services.assessment_answer(assessment=again, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    waiting = services.referral_submit(assessment=again, by=referrer, agency=idva, consent="given", today=on)
    services.referral_decide(referral=waiting, status="more_info", reason="Which school?", by=coordinator)
    return {**objects, "tool": tool.pk, "waiting": waiting.pk}


@pytest.mark.parametrize("name", sorted(SHOWS_VICTIM_DATA))
def test_each_page_with_victim_data_writes_an_access_event(request, sign_in_fully, objects, name):
    persona, path = SHOWS_VICTIM_DATA[name]
    user = request.getfixturevalue(persona)
    client = sign_in_fully(user)
    before = AccessEvent.objects.filter(user=user).count()
    response = client.get(path.format(**objects))
    assert response.status_code == 200
    reads = AccessEvent.objects.filter(user=user).order_by("sequence")[before:]
    assert any(e.case_reference == objects["ref"] and e.fields for e in reads), name
