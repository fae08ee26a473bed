"""A referral resting on an assessment made with another risk tool has no checklist
(`Referral.assessment` is None, ADR 0024): every page, list, report and pack that shows a
referral must open for it, for everyone who may open them, without a server error."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from meetings import services as meetings
from referrals import risk_tool_services, services
from referrals.models import Referral
from tests.conftest import make_case, poppler
from tests.meetings.conftest import accepted, advance

DEBUG = False

TODAY = date.today()


def all_patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


@pytest.fixture
def heard_on_dara(area, case_a, case_b, referrer, idva, police, coordinator, chair, agency_rep, childrens_services):
    """case_a referred on DARA (no checklist) and case_b on a checklist, both heard and minuted."""
    dara = risk_tool_services.tool_assessment_record(
        case=case_a,
        tool="dara",
        version="1",
        level="high",
        assessed_on=TODAY,
        agency=police,
        rationale="Strangulation disclosed at the call-out",
        by=referrer,
        today=TODAY,
    )
    referral = risk_tool_services.tool_referral_submit(record=dara, by=referrer, agency=idva, consent="given", today=TODAY)
    services.referral_decide(referral=referral, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    accepted(case_b, referrer=referrer, agency=idva, coordinator=coordinator)
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room 4, Coalville",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police, idva, childrens_services],
        by=coordinator,
    )
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
    meetings.confidentiality_accept(meeting=meeting, user=agency_rep, agency=childrens_services)
    advance(meeting=meeting, by=chair)
    action = meetings.action_add(
        meeting=meeting,
        case=case_a,
        agency=police,
        owner_role="duty_officer",
        description="Flag",
        due_on=TODAY + timedelta(days=7),
        by=chair,
    )
    advance(meeting=meeting, by=chair)
    meeting = meetings.minutes_issue(meeting=meeting, by=chair)
    # A third case referred on the police DASH, waiting in triage, and a fourth asked for more.
    waiting = []
    for name in ("Tina Gray", "Rose Hill"):
        case = make_case(area, idva, referrer, name=name, date_of_birth=date(1990, 1, 2))
        record = risk_tool_services.tool_assessment_record(
            case=case,
            tool="police-dash",
            version="1",
            level="high",
            assessed_on=TODAY,
            agency=police,
            rationale="Call-out",
            by=referrer,
            today=TODAY,
        )
        waiting.append(risk_tool_services.tool_referral_submit(record=record, by=referrer, agency=idva, consent="given", today=TODAY))
    services.referral_decide(referral=waiting[1], status=Referral.Status.MORE_INFO, reason="Which officer?", by=coordinator)
    assert Referral.objects.get(pk=referral.pk).assessment_id is None
    return {
        "waiting": [r.pk for r in waiting],
        "meeting": meeting,
        "reference": case_a.reference,
        "code": area.short_code,
        "pk": {"referral": referral.pk, "tool": dara.pk, "meeting": meeting.pk, "action": action.pk},
        "item": meeting.agenda_items.get(case=case_a).pk,
    }


def fill(route: str, objects: dict, owner: str) -> str:
    values = {
        "reference": objects["reference"],
        "pk": objects["pk"].get(owner, objects["pk"]["referral"]),
        "item": objects["item"],
        "kind": "pack",
        "code": objects["code"],
        "username": "referrer",
        "step": 1,
        "pending": "00000000-0000-4000-8000-000000000000",  # an import check nobody made: refused, never a 500
    }
    path = route
    for name in re.findall(r"<(?:\w+:)?(\w+)>", route):
        path = re.sub(rf"<(?:\w+:)?{name}>", str(values[name]), path, count=1)
    return "/" + path.replace("^", "").replace("$", "")


OWNERS = {"tool-assessment-refer": "tool", "action-update": "action"}
QUERIES = ["/referrals/triage/?risk=high&sort=score", "/referrals/triage/?sort=-score", "/cases/?risk=high", "/referrals/mine/?sort=status"]


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "chair", "agency_rep", "auditor"])
def test_every_page_opens_for_a_referral_on_another_tool(request, sign_in_fully, heard_on_dara, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    opened = 0
    for name, route in all_patterns():
        # The partner API takes a token, not a session: its pages are opened in tests/api.
        if route.startswith(("admin/", "api/")) or name in {"logout", "sign-out"}:
            continue
        owner = OWNERS.get(name, "meeting" if "meeting" in (name or "") or route.startswith("meetings/") else "referral")
        urls = {fill(route, heard_on_dara, owner)}
        if owner == "referral":
            urls |= {fill(route, {**heard_on_dara, "pk": {"referral": pk}}, owner) for pk in heard_on_dara["waiting"]}
        for url in sorted(urls):
            status = client.get(url).status_code  # an exception in the view is raised here
            assert status < 500, (name, url, status)
            opened += status == 200
            if DEBUG:
                print(persona, status, url)
    for url in QUERIES:
        assert client.get(url).status_code < 500, url
    assert opened > 5


@pytest.mark.parametrize("username", ["coordinator", "agency_rep"])
@pytest.mark.parametrize("kind", ["agenda", "pack", "minutes", "actions"])
def test_every_pack_renders_with_a_referral_on_another_tool(heard_on_dara, tmp_path, username, kind):
    out = tmp_path / f"{username}-{kind}.pdf"
    call_command("render_pack", meeting=heard_on_dara["meeting"].pk, username=username, kind=kind, output=str(out))
    text = " ".join(poppler("pdftotext", str(out), "-").split())
    if kind == "pack":
        assert "(high risk, DARA (College of Policing) v1: high)" in text and "score None" not in text


def test_a_referral_on_another_tool_goes_through_the_conversation_and_decisions(sign_in_fully, heard_on_dara, referrer, coordinator):
    """Asked for more, answered, resubmitted, decided and withdrawn: every step that reads or
    rewrites a referral works for one with no checklist."""
    submitted, asked = heard_on_dara["waiting"]
    as_referrer = sign_in_fully(referrer)
    assert as_referrer.post(f"/referrals/{asked}/reply/", {"text": "PC 1234 attended"}).status_code < 400
    assert as_referrer.post(f"/referrals/{asked}/resubmit/", {"reply": "Officer named"}).status_code == 302
    assert Referral.objects.get(pk=asked).status == Referral.Status.SUBMITTED
    assert as_referrer.post(f"/referrals/{submitted}/withdraw/", {"reason": "Made on the wrong case"}).status_code == 302
    assert Referral.objects.get(pk=submitted).status == Referral.Status.WITHDRAWN
    as_coordinator = sign_in_fully(coordinator)
    assert as_coordinator.post(f"/referrals/{asked}/decision/", {"decision": "decline", "reason": "Below threshold"}).status_code == 302
    assert Referral.objects.get(pk=asked).status == Referral.Status.DECLINED
