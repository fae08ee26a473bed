"""An auditor answers "who accessed this record?" and sees a verified chain, without ever seeing
victims' personal data."""

import csv
import io
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings

from audit.models import AccessEvent
from marac.reauth import REAUTHENTICATED_AT
from tests.conftest import make_case, sign_in_with_both_factors


@pytest.fixture
def browsed(case_a, referrer, coordinator):
    """The referrer and the coordinator have each opened case A."""
    for person in (referrer, coordinator):
        sign_in_with_both_factors(Client(), person).get(f"/cases/{case_a.reference}/")
    return case_a


def test_who_accessed_a_case_and_the_report_is_itself_logged(sign_in_fully, auditor, browsed):
    page = sign_in_fully(auditor).get(f"/audit/cases/{browsed.reference}/").content.decode()
    assert "(referrer)" in page and "(coordinator)" in page
    assert "Sarah Mitchell" not in page and "Ashby" not in page
    assert AccessEvent.objects.filter(user=auditor, event="audit_case_report", case_reference=browsed.reference).exists()


def test_the_auditor_sees_only_their_areas(sign_in_fully, auditor, browsed, other_area, idva, unrelated):
    elsewhere = make_case(other_area, idva, unrelated, name="Someone Else")
    sign_in_with_both_factors(Client(), unrelated).get(f"/cases/{elsewhere.reference}/")
    client = sign_in_fully(auditor)
    listing = client.get("/audit/").content.decode()
    assert browsed.reference in listing and elsewhere.reference not in listing
    assert client.get(f"/audit/cases/{elsewhere.reference}/").status_code == 404
    assert client.get("/audit/people/unrelated/").status_code == 404


def test_search_by_person_case_and_date(sign_in_fully, auditor, browsed):
    client = sign_in_fully(auditor)
    by_person = client.get("/audit/", {"username": "referrer"}).context["page"].object_list
    assert by_person and {e.user.username for e in by_person} == {"referrer"}
    by_case = client.get("/audit/", {"case_reference": browsed.reference, "event": "case_read"}).context["page"].object_list
    assert {e.user.username for e in by_case} == {"referrer", "coordinator"}
    future = client.get("/audit/", {"since_day": "1", "since_month": "1", "since_year": "2099"}).context["page"].object_list
    assert list(future) == []
    bad = client.get(
        "/audit/", {"since_day": "2", "since_month": "1", "since_year": "2026", "until_day": "1", "until_month": "1", "until_year": "2026"}
    )
    assert "on or after the start date" in bad.content.decode()


def with_a_fresh_code(client, *, seconds_ago: float = 0):
    """As if the person had entered a security code at confirm identity `seconds_ago`."""
    session = client.session
    session[REAUTHENTICATED_AT] = time.time() - seconds_ago
    session.save()
    return client


def test_csv_export_has_the_events_no_victim_data_and_is_logged(sign_in_fully, auditor, browsed):
    response = with_a_fresh_code(sign_in_fully(auditor)).get("/audit/export.csv", {"case_reference": browsed.reference})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["sequence", "at", "user", "event"] and len(rows) > 2
    assert "Sarah" not in response.content.decode()
    assert AccessEvent.objects.filter(user=auditor, event="audit_export").exists()


@override_settings(MARAC_AUDIT_VIEWS_PER_HOUR=3, MARAC_AUDIT_DENIED_BURST=2)
def test_anomalies_flag_many_views_denied_bursts_and_out_of_hours(sign_in_fully, auditor, referrer, case_a):
    with time_machine.travel(datetime(2026, 11, 20, 23, 30, tzinfo=UTC)):
        browser = sign_in_with_both_factors(Client(), referrer)
        for _ in range(4):
            browser.get(f"/cases/{case_a.reference}/")
        browser.get(f"/cases/{case_a.reference}/transfer/")  # refused: not the coordinator
        browser.get(f"/cases/{case_a.reference}/transfer/")
    with time_machine.travel(datetime(2026, 11, 21, 10, 0, tzinfo=UTC)):
        anomalies = sign_in_fully(auditor).get("/audit/anomalies/").context["anomalies"]
    assert [b["username"] for b in anomalies["many_views"]] == ["referrer"]
    assert [b["username"] for b in anomalies["denied"]] == ["referrer"]
    assert len(anomalies["out_of_hours"]) == 4


def test_the_chain_page_shows_it_verified(sign_in_fully, auditor, browsed):
    html = sign_in_fully(auditor).get("/audit/chain/").content.decode()
    # Every event but the one recording this verification (for the auditors' home page), written after it.
    assert "Verified" in html and f"{AccessEvent.objects.count() - 1} events" in html
    assert AccessEvent.objects.filter(event="audit_chain_verified", user=auditor).exists()


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "chair", "agency_rep", "admin_user"])
def test_only_auditors_use_the_workspace(request, sign_in_fully, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    for url in ("/audit/", "/audit/export.csv", "/audit/anomalies/", "/audit/chain/", "/audit/people/referrer/"):
        assert client.get(url).status_code == 403


def test_an_auditor_sees_withheld_or_403_on_every_victim_page(sign_in_fully, auditor, browsed, referrer):
    from referrals import services

    draft = services.assessment_start(case=browsed, by=referrer, on=datetime(2026, 11, 1).date())
    client = sign_in_fully(auditor)
    case_page = client.get(f"/cases/{browsed.reference}/").content.decode()
    assert "Sarah Mitchell" not in case_page and "Withheld" in case_page
    assert "Sarah Mitchell" not in client.get("/cases/").content.decode()
    for path in (
        "victim/",
        f"checklists/{draft.pk}/",
        f"checklists/{draft.pk}/step-1/",
        "incidents/new/",
        "perpetrators/new/",
        "household/new/",
        "transfer/",
    ):
        assert client.get(f"/cases/{browsed.reference}/{path}").status_code == 403, path
    assert client.get("/audit/").status_code == 200  # and reads every event in scope


def test_probes_and_anonymous_failures_reach_the_auditor(sign_in_fully, auditor, referrer, client):
    sign_in_fully(referrer).get("/cases/NWL-2026-0999/")  # a reference that does not exist
    Client().post("/sign-in/", {"username": "someone", "password": "guess"})
    events = {e.event for e in sign_in_fully(auditor).get("/audit/").context["page"].object_list}
    assert {"case_access_denied", "sign_in_failed"} <= events


def test_the_export_logs_which_filters_not_their_values(sign_in_fully, auditor, browsed):
    with_a_fresh_code(sign_in_fully(auditor)).get("/audit/export.csv", {"event": "Sarah Mitchell", "case_reference": browsed.reference})
    purpose = AccessEvent.objects.get(event="audit_export").purpose
    assert purpose == "filters: case_reference, event" and "Sarah" not in purpose


def test_a_bad_filter_refuses_the_export_instead_of_exporting_everything(sign_in_fully, auditor, browsed):
    response = with_a_fresh_code(sign_in_fully(auditor)).get(
        "/audit/export.csv", {"since_day": "31", "since_month": "2", "since_year": "2026"}
    )
    assert response["Content-Type"].startswith("text/html") and "must be a real date" in response.content.decode()
    assert not AccessEvent.objects.filter(event="audit_export").exists()


def test_a_far_future_end_date_does_not_crash(sign_in_fully, auditor, browsed):
    response = sign_in_fully(auditor).get("/audit/", {"until_day": "31", "until_month": "12", "until_year": "9999"})
    assert response.status_code == 200


def test_the_export_cannot_carry_a_spreadsheet_formula(sign_in_fully, auditor, referrer, case_a):
    """References may start with "-" (the URL allows it): a probe of /cases/-A1-A1/ is logged as
    typed, and must reach the auditor's spreadsheet as text."""
    sign_in_with_both_factors(Client(), referrer).get("/cases/-A1-A1/")
    response = with_a_fresh_code(sign_in_fully(auditor)).get("/audit/export.csv", {"event": "case_access_denied"})
    cells = [row[4] for row in csv.reader(io.StringIO(response.content.decode()))][1:]
    assert cells == ["'-A1-A1"]


def test_a_username_that_cannot_exist_is_a_404_not_a_query(sign_in_fully, auditor):
    client = sign_in_fully(auditor)
    assert client.get("/audit/people/a%00b/").status_code == 404
    assert client.get("/audit/people/" + "a" * 151 + "/").status_code == 404


def test_refused_emergency_access_is_an_anomaly(sign_in_fully, auditor, referrer):
    client = sign_in_with_both_factors(Client(), referrer)
    client.post("/cases/emergency-access/", {"reference": "NWL-2026-9999", "reason": "emergency", "understood": "on"})
    anomalies = sign_in_fully(auditor).get("/audit/anomalies/").context["anomalies"]
    assert [(e.event, e.case_reference) for e in anomalies["break_glass"]] == [("break_glass_refused", "NWL-2026-9999")]


@override_settings(MARAC_AUDIT_VIEWS_PER_HOUR=10)
def test_a_month_of_routine_reads_does_not_hide_the_newest_anomalies(sign_in_fully, auditor, coordinator, referrer, case_a):
    from audit import chain

    def reads(user, at, count):
        return [AccessEvent(user=user, at=at, event="case_read", case_reference=case_a.reference, fields=["name"]) for _ in range(count)]

    chain.append(
        reads(coordinator, datetime(2026, 11, 1, 10, 0, tzinfo=UTC), 20_001)  # weeks of daytime work
        + reads(referrer, datetime(2026, 11, 16, 3, 0, tzinfo=UTC), 10)  # ten views at 3 in the morning
        + reads(coordinator, datetime(2026, 11, 19, 11, 0, tzinfo=UTC), 2_000)
    )  # then more daytime work
    with time_machine.travel(datetime(2026, 11, 21, 10, 0, tzinfo=UTC)):
        anomalies = sign_in_fully(auditor).get("/audit/anomalies/").context["anomalies"]
    assert {(b["username"], b["count"]) for b in anomalies["many_views"]} == {
        ("coordinator", 20_001),
        ("referrer", 10),
        ("coordinator", 2_000),
    }
    assert [e.user.username for e in anomalies["out_of_hours"]] == ["referrer"] * 10


@override_settings(MARAC_AUDIT_DENIED_BURST=3)
def test_a_burst_of_failed_sign_ins_by_nobody_is_shown_not_a_failure(sign_in_fully, auditor):
    for _ in range(4):
        Client().post("/sign-in/", {"username": "nobody-at-all", "password": "wrong-password-1"})
    response = sign_in_fully(auditor).get("/audit/anomalies/")
    assert response.status_code == 200
    assert "(not signed in)" in response.content.decode()


def test_search_by_case_reference_ignores_letter_case(sign_in_fully, auditor, browsed):
    client = with_a_fresh_code(sign_in_fully(auditor))
    typed = f"  {browsed.reference.lower()} "
    by_case = client.get("/audit/", {"case_reference": typed, "event": "case_read"}).context["page"].object_list
    assert {e.user.username for e in by_case} == {"referrer", "coordinator"}
    exported = client.get("/audit/export.csv", {"case_reference": typed}).content.decode()
    assert browsed.reference in exported
    assert AccessEvent.objects.filter(user=auditor, event="audit_export", purpose="filters: case_reference").exists()


@pytest.mark.parametrize("seconds_ago", [None, 16 * 60])
def test_the_export_without_a_fresh_code_asks_for_one_and_exports_nothing(sign_in_fully, auditor, browsed, seconds_ago):
    client = sign_in_fully(auditor)
    if seconds_ago is not None:
        with_a_fresh_code(client, seconds_ago=seconds_ago)  # a code entered, but too long ago
    response = client.get("/audit/export.csv", {"case_reference": browsed.reference})
    assert response.status_code == 302 and response.url.startswith("/account/confirm/?next=")
    assert "export.csv" in response.url and "case_reference" in response.url  # back to the same export after the code
    assert not response.content and not AccessEvent.objects.filter(event="audit_export").exists()


def test_confirming_identity_then_exporting_works_and_is_logged(sign_in_fully, auditor, browsed):
    from demo.management.commands._demo import current_code
    from marac.services import totp_confirmed_device

    client = sign_in_fully(auditor)
    next_url = client.get("/audit/export.csv").url.split("next=", 1)[1]
    confirmed = client.post(f"/account/confirm/?next={next_url}", {"code": current_code(totp_confirmed_device(user=auditor))})
    assert confirmed.url == "/audit/export.csv"
    response = client.get(confirmed.url)
    assert response["Content-Type"].startswith("text/csv") and b"sequence,at,user,event" in response.content
    assert AccessEvent.objects.filter(user=auditor, event="reauthenticated").exists()
    assert AccessEvent.objects.filter(user=auditor, event="audit_export", purpose="all events").count() == 1


def test_a_fresh_code_does_not_open_the_export_to_someone_who_is_not_an_auditor(sign_in_fully, coordinator, browsed):
    response = with_a_fresh_code(sign_in_fully(coordinator)).get("/audit/export.csv")
    assert response.status_code == 403 and not AccessEvent.objects.filter(event="audit_export").exists()
