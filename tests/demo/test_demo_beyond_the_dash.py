"""The demo shows each part of issue 18 on the pages people use: a referral on DARA, a victim's
voice, a safe address changed with its alert, a perpetrator linked to two other victims, children
with Operation Encompass told in time and not told, retention with an erasure waiting for a second
person and a homicide-review hold, an area without a period, and the measures with figures."""

import re

import pytest
from django.core.management import call_command

from marac.models import User
from referrals.models import Case


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--without-packs")
    return {c.victim.name: c.reference for c in Case.objects.select_related("victim", "data_key") if not c.is_shredded}


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    main = response.content.decode().split('id="main-content"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_coordinators_case_pages_show_other_tools_the_voice_alerts_links_and_schools(demo, sign_in_fully):
    client = sign_in_fully(User.objects.get(username="coordinator"))
    dara = page_text(client, f"/cases/{demo['Leanne Hart']}/")
    assert "Current risk level High (DARA (College of Policing) v1" in dara and "Re-assessment due on" in dara

    sarah = page_text(client, f"/cases/{demo['Sarah Mitchell']}/")
    assert "Safe contact details changed" in sarah and "I have read this" in sarah
    assert "perpetrator linked to 2 other cases" in sarah and demo["Emma Walsh"] in sarah and "1 case in Charnwood" in sarah
    assert "Told in time" in sarah

    kerry = page_text(client, f"/cases/{demo['Kerry Doyle']}/")
    assert "Not safe to talk to Dean's mother" in kerry.replace("&#x27;", "'") and "Her views for the meeting She wants" in kerry
    assert "school was not told before the next school day" in kerry


def test_the_demo_has_retention_a_hold_an_area_without_a_period_and_measures(demo, sign_in_fully):
    client = sign_in_fully(User.objects.get(username="coordinator"))
    retention = page_text(client, "/cases/retention/")
    assert "Retention period: 72 months" in retention and "Waiting for a second person" in retention
    assert "domestic homicide review" in retention
    measures = page_text(client, "/reports/measures/")
    assert "North West Leicestershire" in measures and "benchmark 40" in measures

    charnwood = page_text(sign_in_fully(User.objects.get(username="cha_coord")), "/")
    assert "retention period" in charnwood.lower()
