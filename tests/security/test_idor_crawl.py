"""Every URL pattern with an object in it, requested by a signed-in person with no relationship to
that object, is a 404 (existence is not revealed). The crawl walks the URL resolver, so a new
pattern is covered the day it is added: one whose parameters it cannot fill fails the test."""

import re
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from meetings import services as meetings
from referrals import services
from tests.meetings.conftest import accepted, advance

# Role-gated pages answer 403 to anyone without the role, whatever the object: the same answer for
# a real object and a made-up one, so existence is still not revealed (checked below).
ROLE_GATED = {"audit-case", "audit-person"}


def patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.pattern.converters:
            yield entry.name, prefix + str(entry.pattern)


@pytest.fixture
def objects(case_a, referrer, idva, coordinator, chair, agency_rep, childrens_services, police, area):
    draft = services.assessment_start(case=case_a, by=referrer, on=date.today())
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police, idva, childrens_services],
        by=coordinator,
    )
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
    advance(meeting=meeting, by=chair)
    action = meetings.action_add(
        meeting=meeting,
        case=case_a,
        agency=police,
        owner_role="duty_officer",
        description="Flag",
        due_on=date.today() + timedelta(days=3),
        by=chair,
    )
    ask = _emergency_ask(case_a, idva)
    perpetrator = services.perpetrator_add(
        case=case_a, details={"name": "Darren Hale", "relationship_to_victim": "partner"}, by=referrer, today=date.today()
    )
    child = services.household_member_add(case=case_a, details={"name": "Mia Hale"}, is_child=True, by=referrer, today=date.today())
    tool = _tool_assessment(case_a, referrer, police)
    hold, erasure, alert = _retention_and_alert(case_a, area, coordinator, referrer)
    return {
        "reference": case_a.reference,
        "pk": {
            "checklist": draft.pk,
            "referral": referral.pk,
            "meeting": meeting.pk,
            "action": action.pk,
            "emergency": ask.pk,
            "perpetrator": perpetrator.pk,
            "household": child.pk,
            "tool": tool.pk,
            "hold": hold.pk,
            "erasure": erasure.pk,
            "alert": alert.pk,
        },
        "item": meeting.agenda_items.get().pk,
        "kind": "pack",
        "username": "referrer",
        "code": area.short_code,
        "step": 1,
        "pending": _pending_import(area, coordinator).uuid,
    }


def _tool_assessment(case, by, agency):
    """An assessment made with another risk tool (ADR 0024), not yet referred."""
    from referrals import risk_tool_services

    today = date.today()
    return risk_tool_services.tool_assessment_record(
        case=case, tool="dara", version="1", level="high", assessed_on=today, agency=agency, rationale="At the call-out", by=by, today=today
    )


def _retention_and_alert(case, area, coordinator, referrer):
    """A legal hold on the case, an erasure ask waiting for a second person (made directly: the
    case need not be due for its page to be refused) and a safe-contact alert (ADR 0025, 0027)."""
    from referrals import retention
    from referrals.models import CaseAlert, ErasureRequest

    hold = retention.hold_place(case=case, kind="litigation", reason="A claim", by=coordinator)
    erasure = ErasureRequest.objects.create(case=case, area=area, asked_by=coordinator)
    alert = CaseAlert.objects.create(case=case, what=CaseAlert.What.SAFE_ADDRESS, raised_by=referrer)
    return hold, erasure, alert


def _emergency_ask(case, agency):
    """An ask for emergency access to the case from someone in a third area, waiting for its approver."""
    from marac.models import MaracArea, Role
    from marac.viewer import Viewer
    from referrals import emergency
    from tests.conftest import make_person

    asker = make_person("emergency_asker", Role.REFERRER, agency, MaracArea.objects.create(name="Melton", short_code="MEL"))
    return emergency.emergency_access_ask(viewer=Viewer.of(asker), reference=case.reference, reason="emergency").ask


def _pending_import(area, coordinator):
    """The coordinator's checked cases file, waiting to be confirmed (issue 19, ADR 0029)."""
    from imports.pending import pending_create
    from imports.reading import Sheet

    return pending_create(sheet=Sheet(header=["Victim name"], rows=[]), area=area, by=coordinator, good_rows_only=False)


def fill(name: str, route: str, objects: dict, *, made_up: bool = False) -> str:
    """The route with its parameters filled from `objects` (or with ones that exist nowhere)."""
    owner = {
        "checklist-summary": "checklist",
        "checklist-step": "checklist",
        "checklist-judgement": "checklist",
        "checklist-refer": "checklist",
        "referral-decide": "referral",
        "referral-resubmit": "referral",
        "referral-withdraw": "referral",
        "referral-detail": "referral",
        "referral-reply": "referral",
        "action-update": "action",
        "emergency-decide": "emergency",
        "emergency-withdraw": "emergency",
        "perpetrator-links": "perpetrator",
        "household-encompass": "household",
        "tool-assessment-refer": "tool",
        "first-contact": "referral",
        "legal-hold-lift": "hold",
        "erasure-confirm": "erasure",
        "erasure-withdraw": "erasure",
        "case-alert-open": "alert",
        "referral-voice": "referral",
    }.get(name, "meeting")
    values = {
        "reference": "NWL-2099-9999" if made_up else objects["reference"],
        "pk": 999999 if made_up else objects["pk"][owner],
        "item": 999999 if made_up else objects["item"],
        "kind": objects["kind"],
        "code": "ZZZ" if made_up else objects["code"],
        "username": "nobody-at-all" if made_up else objects["username"],
        "step": objects["step"],
        "pending": "00000000-0000-4000-8000-000000000000" if made_up else objects["pending"],
    }
    path = route
    for converter_name in re.findall(r"<(?:\w+:)?(\w+)>", route):
        assert converter_name in values, f"The crawl cannot fill <{converter_name}> in {name}: teach it"
        path = re.sub(rf"<(?:\w+:)?{converter_name}>", str(values[converter_name]), path, count=1)
    return "/" + path.replace("^", "").replace("$", "")


def test_the_crawl_covers_every_pattern_with_an_object():
    names = {name for name, _ in patterns()}
    assert {"case-detail", "meeting-detail", "meeting-pdf", "action-update", "ni32-repeats", "referral-decide"} <= names


def test_an_unrelated_person_gets_404_on_every_url_with_an_object(sign_in_fully, unrelated, objects):
    client = sign_in_fully(unrelated)
    answers = {}
    for name, route in patterns():
        if route.startswith("admin/"):
            continue  # the admin is for administrators only (tests/marac/test_admin.py)
        if route.startswith("api/"):
            continue  # the partner API takes a token, not a session: its IDOR tests are tests/api/test_api_idor.py
        real, made_up = fill(name, route, objects), fill(name, route, objects, made_up=True)
        for method in ("get", "post"):
            status = getattr(client, method)(real).status_code
            if status == 405:
                continue  # the method is refused before anything is looked up
            if name in ROLE_GATED or route.startswith("reports/"):
                assert status == getattr(client, method)(made_up).status_code, (name, method)  # the same for any object
                assert status in (403, 404), (name, method, status)
            else:
                answers[(name, method)] = status
    wrong = {key: status for key, status in answers.items() if status != 404}
    assert not wrong, f"Not 404 for an unrelated person: {wrong}"
    assert len(answers) > 30
