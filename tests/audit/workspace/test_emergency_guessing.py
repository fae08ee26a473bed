"""Guessing case references through emergency access is an anomaly for auditors (ADR 0020): refused
asks, and asks for cases in areas the person has no tie to, several by one person in a day."""

import pytest

from marac.models import Role
from tests.conftest import make_person, sign_in_with_both_factors


def ask(client, reference):
    return client.post("/cases/emergency-access/", {"reference": reference, "reason": "emergency", "understood": "on"})


@pytest.fixture
def auditor_of_the_askers_area(other_area, police):
    return make_person("auditor_charnwood", Role.AUDITOR, police, other_area)


def anomalies_and_home_count(client, auditor):
    client.logout()
    signed_in = sign_in_with_both_factors(client, auditor)
    home = {item.label: item.count for role in signed_in.get("/").context["work"] for item in role.items}
    return signed_in.get("/audit/anomalies/"), home.get("Anomalies", 0)


def test_three_probes_in_a_day_are_flagged_and_counted_on_the_home_page(client, unrelated, auditor_of_the_askers_area, case_a):
    asker = sign_in_with_both_factors(client, unrelated)
    for reference in ("NWL-2026-0099", "NWL-2026-0098", case_a.reference):  # two made up, one real: all look alike to them
        assert ask(asker, reference).status_code == 302
    page, count = anomalies_and_home_count(client, auditor_of_the_askers_area)
    guessing = page.context["anomalies"]["guessing"]
    assert [(row["username"], row["count"]) for row in guessing] == [("unrelated", 3)]
    assert "unrelated</a>: 3 on" in page.content.decode()
    assert count == 3 + 1  # the three asks one by one, and the day of guessing


def test_two_asks_are_not_guessing(client, unrelated, auditor_of_the_askers_area, case_a):
    asker = sign_in_with_both_factors(client, unrelated)
    ask(asker, "NWL-2026-0099")
    ask(asker, case_a.reference)
    page, _ = anomalies_and_home_count(client, auditor_of_the_askers_area)
    assert page.context["anomalies"]["guessing"] == []


def test_an_auditor_of_an_unrelated_area_sees_none_of_it(client, unrelated, third_auditor, case_a):
    asker = sign_in_with_both_factors(client, unrelated)
    for reference in ("NWL-2026-0099", "NWL-2026-0098", "NWL-2026-0097"):
        ask(asker, reference)
    page, count = anomalies_and_home_count(client, third_auditor)
    assert page.context["anomalies"]["guessing"] == [] and count == 0


@pytest.fixture
def third_auditor(police):
    from marac.models import MaracArea

    return make_person("auditor_melton", Role.AUDITOR, police, MaracArea.objects.create(name="Melton", short_code="MEL"))


def test_a_refusal_by_the_areas_approver_is_listed_with_the_approvals(client, unrelated, coordinator, auditor, case_a, case_b):
    from marac.viewer import Viewer
    from referrals import emergency

    for case, approve in ((case_a, True), (case_b, False)):
        asked = emergency.emergency_access_ask(viewer=Viewer.of(unrelated), reference=case.reference, reason="emergency").ask
        emergency.emergency_request_decide(ask=asked, approve=approve, viewer=Viewer.of(coordinator))
    page, _ = anomalies_and_home_count(client, auditor)
    listed = {(event.event, event.case_reference) for event in page.context["anomalies"]["break_glass"]}
    assert {("break_glass_approved", case_a.reference), ("break_glass_declined", case_b.reference)} <= listed


@pytest.mark.parametrize("persona", ["admin_user", "auditor"])
def test_asks_by_someone_whose_role_may_not_ask_count_as_guessing(request, client, persona, area, police):
    asker_user = request.getfixturevalue(persona)
    other_auditor = make_person("auditor_two", Role.AUDITOR, police, area)
    asker = sign_in_with_both_factors(client, asker_user)
    asker.get("/cases/emergency-access/")  # opening the page is no ask
    for reference in ("NWL-2026-0099", "NWL-2026-0098", "NWL-2026-0097"):
        assert ask(asker, reference).status_code == 403
    page, _ = anomalies_and_home_count(client, other_auditor)
    assert [(row["username"], row["count"]) for row in page.context["anomalies"]["guessing"]] == [(asker_user.username, 3)]
