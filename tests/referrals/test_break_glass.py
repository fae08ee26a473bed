"""Emergency access: asked for with a reason, limited in time and fields, flagged for auditors."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from audit.models import AccessEvent
from referrals.models import BreakGlassGrant

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=timezone.utc)


def ask(client, reference, **overrides):
    return client.post("/cases/emergency-access/", {"reference": reference, "reason": "emergency", "understood": "on", **overrides})


def test_break_glass_opens_the_case_for_an_hour_without_safe_contact_details(sign_in_fully, unrelated, case_a):
    with time_machine.travel(NOW, tick=False) as clock:
        client = sign_in_fully(unrelated)
        assert client.get(f"/cases/{case_a.reference}/").status_code == 404
        assert ask(client, case_a.reference).url == f"/cases/{case_a.reference}/"
        page = client.get(f"/cases/{case_a.reference}/").content.decode()
        assert "Sarah Mitchell" in page and "07700 900123" in page  # who she is, how to reach her
        assert "Ashby" not in page and "07700 900456" not in page  # never the safe contact details
        clock.shift(timedelta(minutes=59))
        client = sign_in_fully(unrelated)  # the 15-minute idle timeout ended the first session
        assert client.get(f"/cases/{case_a.reference}/").status_code == 200
        clock.shift(timedelta(minutes=2))
        client = sign_in_fully(unrelated)  # (the old session had been idle too long anyway)
        assert client.get(f"/cases/{case_a.reference}/").status_code == 404


def test_break_glass_is_flagged_for_auditors(sign_in_fully, unrelated, auditor, case_a):
    ask(sign_in_fully(unrelated), case_a.reference)
    event = AccessEvent.objects.get(event="break_glass")
    assert event.user == unrelated and event.case_reference == case_a.reference and event.purpose == "emergency"
    anomalies = sign_in_fully(auditor).get("/audit/anomalies/").context["anomalies"]
    assert [e.case_reference for e in anomalies["break_glass"]] == [case_a.reference]


@pytest.mark.parametrize("data,message", [
    ({"reference": "NWL-2099-0001"}, "No open case has that reference"),
    ({"reference": "nwl-2026-0001"}, "like NWL-2026-0001"),
    ({"reason": "curious"}, "Select a valid choice"),
    ({"understood": ""}, "Confirm that you understand"),
])
def test_bad_requests_are_refused_and_unknown_references_are_logged(sign_in_fully, unrelated, case_a, data, message):
    fields = {"reference": case_a.reference, **data}
    response = ask(sign_in_fully(unrelated), fields.pop("reference"), **fields)
    assert response.status_code == 200 and message in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    if "NWL-2099" in data.get("reference", ""):
        assert AccessEvent.objects.filter(event="break_glass_refused", case_reference="NWL-2099-0001").exists()


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_auditors_and_administrators_cannot_break_glass(request, sign_in_fully, case_a, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    assert client.get("/cases/emergency-access/").status_code == 403
    assert ask(client, case_a.reference).status_code == 403


def test_an_erased_case_cannot_be_opened(sign_in_fully, unrelated, coordinator, case_a):
    from referrals.services import case_shred

    case_shred(case=case_a, by=coordinator)
    assert "No open case" in ask(sign_in_fully(unrelated), case_a.reference).content.decode()


def test_break_glass_never_shows_a_childs_school(sign_in_fully, unrelated, referrer, case_a):
    from referrals.services import household_member_add

    household_member_add(case=case_a, details={"name": "Mia Cole", "school": "Greenhill Primary School"}, is_child=True,
                         by=referrer, today=NOW.date())
    client = sign_in_fully(unrelated)
    ask(client, case_a.reference)
    page = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "Mia Cole" in page and "Greenhill Primary School" not in page


def test_break_glass_is_limited_per_day(sign_in_fully, unrelated, area, idva, referrer):
    from tests.conftest import make_case

    cases = [make_case(area, idva, referrer, name=f"Person {n}") for n in range(4)]
    client = sign_in_fully(unrelated)
    for case in cases[:3]:
        assert ask(client, case.reference).status_code == 302
    response = ask(client, cases[3].reference)
    assert "used emergency access 3 times" in response.content.decode()
    assert BreakGlassGrant.objects.count() == 3
