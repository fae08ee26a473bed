"""Emergency access in the person's own area: self-service with a coded reason, limited in time
and fields (what a meeting representative reads), flagged for auditors. Asks for cases in other
areas, which need approval, are in test_emergency_requests.py."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from audit.models import AccessEvent
from marac.models import Role
from referrals.models import BreakGlassGrant, EmergencyAccessRequest
from tests.conftest import make_person

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


@pytest.fixture
def colleague(area, police):
    """Refers for another agency in the case's area: no relationship to the case, but the area is theirs."""
    return make_person("colleague", Role.REFERRER, police, area)


def ask(client, reference, **overrides):
    return client.post("/cases/emergency-access/", {"reference": reference, "reason": "emergency", "understood": "on", **overrides})


def test_in_your_own_area_it_opens_the_case_for_an_hour_with_what_a_representative_sees(sign_in_fully, colleague, case_a):
    with time_machine.travel(NOW, tick=False) as clock:
        client = sign_in_fully(colleague)
        assert client.get(f"/cases/{case_a.reference}/").status_code == 404
        assert ask(client, case_a.reference).url == f"/cases/{case_a.reference}/"
        page = client.get(f"/cases/{case_a.reference}/").content.decode()
        assert "Sarah Mitchell" in page and "14 March 1989" in page  # who she is
        assert "07700 900123" not in page and "Belvoir Road" not in page  # not where she lives (ADR 0020)
        assert "Ashby" not in page and "07700 900456" not in page  # never the safe contact details
        clock.shift(timedelta(minutes=59))
        client = sign_in_fully(colleague)  # the 15-minute idle timeout ended the first session
        assert client.get(f"/cases/{case_a.reference}/").status_code == 200
        clock.shift(timedelta(minutes=2))
        client = sign_in_fully(colleague)  # (the old session had been idle too long anyway)
        assert client.get(f"/cases/{case_a.reference}/").status_code == 404
    kept = EmergencyAccessRequest.objects.get()
    assert (kept.route, kept.status, kept.decided_by, kept.grant.extended) == ("own_area", "approved", None, False)


def test_break_glass_is_flagged_for_auditors(sign_in_fully, colleague, auditor, case_a):
    ask(sign_in_fully(colleague), case_a.reference)
    event = AccessEvent.objects.get(event="break_glass")
    assert event.user == colleague and event.case_reference == case_a.reference and event.purpose == "emergency"
    anomalies = sign_in_fully(auditor).get("/audit/anomalies/").context["anomalies"]
    assert [e.case_reference for e in anomalies["break_glass"]] == [case_a.reference]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"reference": "NWL-2099-0001"}, "No open case has that reference"),
        ({"reference": "nwl-2026-0001"}, "like NWL-2026-0001"),
        ({"reason": "curious"}, "Select a valid choice"),
        ({"understood": ""}, "Confirm that you understand"),
    ],
)
def test_bad_requests_are_refused_and_unknown_references_are_logged(sign_in_fully, colleague, case_a, data, message):
    fields = {"reference": case_a.reference, **data}
    response = ask(sign_in_fully(colleague), fields.pop("reference"), **fields)
    assert response.status_code == 200 and message in response.content.decode()
    assert 'value="' + data.get("reference", case_a.reference) + '"' in response.content.decode()  # what they typed is kept
    assert not BreakGlassGrant.objects.exists()
    if "NWL-2099" in data.get("reference", ""):
        # An unknown reference in one's own area is refused as such, logged, and kept as an ask.
        assert AccessEvent.objects.filter(event="break_glass_refused", case_reference="NWL-2099-0001").exists()
        assert EmergencyAccessRequest.objects.get().refusal == "no_such_case"
    else:
        assert not EmergencyAccessRequest.objects.exists()  # a form error is no ask


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_auditors_and_administrators_cannot_break_glass(request, sign_in_fully, case_a, persona):
    user = request.getfixturevalue(persona)
    client = sign_in_fully(user)
    assert client.get("/cases/emergency-access/").status_code == 403
    assert ask(client, case_a.reference).status_code == 403
    assert not BreakGlassGrant.objects.exists()
    # Kept as a refused ask, so it counts towards the daily limit like any other.
    assert EmergencyAccessRequest.objects.get(requester=user).refusal == "wrong_role"
    # The page refused is logged as such; the ask, like every refused ask, with the reference
    # typed, so an auditor probing references shows as guessing (test_emergency_guessing.py).
    assert AccessEvent.objects.filter(event="break_glass_denied", user=user).count() == 1
    refused = AccessEvent.objects.get(event="break_glass_refused", user=user)
    assert (refused.case_reference, refused.outcome) == (case_a.reference, "denied")


def test_an_erased_case_cannot_be_opened(sign_in_fully, colleague, coordinator, case_a):
    from referrals.services import case_shred

    case_shred(case=case_a, by=coordinator)
    assert "No open case" in ask(sign_in_fully(colleague), case_a.reference).content.decode()


def test_break_glass_never_shows_a_childs_school(sign_in_fully, colleague, referrer, case_a):
    from referrals.services import household_member_add

    household_member_add(
        case=case_a, details={"name": "Mia Cole", "school": "Greenhill Primary School"}, is_child=True, by=referrer, today=NOW.date()
    )
    client = sign_in_fully(colleague)
    ask(client, case_a.reference)
    page = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "Mia Cole" in page and "Greenhill Primary School" not in page


def test_break_glass_is_limited_per_day(sign_in_fully, colleague, area, idva, referrer):
    from tests.conftest import make_case

    cases = [make_case(area, idva, referrer, name=f"Person {n}") for n in range(4)]
    client = sign_in_fully(colleague)
    for case in cases[:3]:
        assert ask(client, case.reference).status_code == 302
    response = ask(client, cases[3].reference)
    assert "used emergency access 3 times" in response.content.decode()
    assert BreakGlassGrant.objects.count() == 3


def test_someone_with_a_narrower_relationship_cannot_widen_it(sign_in_fully, agency_rep, case_a):
    """A meeting representative sees the case without its address and phone (ADR 0011): emergency
    access must not hand those over."""
    from tests.conftest import grant_hearing

    grant_hearing(agency_rep, case_a)
    client = sign_in_fully(agency_rep)
    assert "07700 900123" not in client.get(f"/cases/{case_a.reference}/").content.decode()
    response = ask(client, case_a.reference)
    assert response.status_code == 200 and "You already have access to this case" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert "07700 900123" not in client.get(f"/cases/{case_a.reference}/").content.decode()
    assert AccessEvent.objects.filter(event="break_glass_refused", user=agency_rep, case_reference=case_a.reference).exists()


def test_an_auditor_of_the_area_cannot_use_a_referrer_role_elsewhere_to_see_its_cases(sign_in_fully, auditor, other_area, idva, case_a):
    from marac.models import Membership, Role

    Membership.objects.create(user=auditor, agency=idva, area=other_area, role=Role.REFERRER)
    client = sign_in_fully(auditor)
    response = ask(client, case_a.reference)
    assert "You already have access to this case" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert "Sarah Mitchell" not in client.get(f"/cases/{case_a.reference}/").content.decode()


def test_a_running_grant_cannot_be_extended_by_asking_again(sign_in_fully, colleague, case_a):
    client = sign_in_fully(colleague)
    assert ask(client, case_a.reference).status_code == 302
    assert "You already have access to this case" in ask(client, case_a.reference).content.decode()
    assert BreakGlassGrant.objects.count() == 1


def test_a_grant_ends_with_the_role_it_was_asked_under(sign_in_fully, colleague, other_area, idva, case_a):
    from marac.models import Membership

    ask(sign_in_fully(colleague), case_a.reference)
    assert sign_in_fully(colleague).get(f"/cases/{case_a.reference}/").status_code == 200
    Membership.objects.create(user=colleague, agency=idva, area=other_area, role=Role.AUDITOR)
    colleague.memberships.filter(role=Role.REFERRER).update(is_active=False)
    client = sign_in_fully(colleague)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404


PARALLEL_ASKS = """
import threading, django
django.setup()
from django.core.exceptions import ValidationError
from django.db import connection
from marac.models import Agency, AgencyKind, MaracArea, Role
from marac.viewer import Viewer
from referrals import emergency
from referrals.models import BreakGlassGrant, EmergencyAccessRequest
from tests.conftest import make_case, make_person

area = MaracArea.objects.create(name="A", short_code="AAA")
agency = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
police = Agency.objects.create(name="Police", kind=AgencyKind.POLICE)
# The asker refers for another agency in the same area: each ask opens a case at once.
referrer, asker = make_person("referrer", Role.REFERRER, agency, area), make_person("asker", Role.REFERRER, police, area)
cases = [make_case(area, agency, referrer, name=f"Person {n}") for n in range(8)]
viewer = Viewer.of(asker)
start = threading.Barrier(len(cases))

def ask_for(case):
    start.wait()
    try:
        emergency.emergency_access_ask(viewer=viewer, reference=case.reference, reason="emergency")
    except ValidationError:
        pass
    finally:
        connection.close()

threads = [threading.Thread(target=ask_for, args=(case,)) for case in cases]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(BreakGlassGrant.objects.count(), EmergencyAccessRequest.objects.count())
"""


@pytest.mark.django_db
def test_parallel_requests_cannot_beat_the_daily_limit():
    from django.db import connection

    from tests.scratch_db import python_in_scratch_postgres

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    assert python_in_scratch_postgres(PARALLEL_ASKS).split()[-2:] == ["3", "3"]


def test_a_team_lead_in_the_area_may_ask_like_any_operational_role(sign_in_fully, area, police, case_a):
    team_lead = make_person("team_lead", Role.TEAM_LEAD, police, area)
    response = ask(sign_in_fully(team_lead), case_a.reference)
    assert response.status_code == 302 and BreakGlassGrant.objects.filter(user=team_lead).exists()


def test_a_grant_ends_with_the_membership_that_opened_it_whatever_roles_remain_elsewhere(sign_in_fully, colleague, police, case_a):
    """Review finding: a referrer in the case's area who also represents an agency in another area
    kept the case open after leaving the area, because any role anywhere kept the grant alive."""
    from marac.models import MaracArea, Membership

    melton = MaracArea.objects.create(name="Melton", short_code="MEL")  # sorts before the case's area
    Membership.objects.create(user=colleague, agency=police, area=melton, role=Role.AGENCY_REP)
    assert ask(sign_in_fully(colleague), case_a.reference).url == f"/cases/{case_a.reference}/"
    kept = EmergencyAccessRequest.objects.get()
    used = colleague.memberships.get(area=case_a.area)
    assert (kept.requester_membership, kept.requester_area, kept.grant.membership) == (used, case_a.area, used)
    Membership.objects.filter(pk=used.pk).update(is_active=False)
    assert sign_in_fully(colleague).get(f"/cases/{case_a.reference}/").status_code == 404


def test_a_reference_from_your_own_area_whose_case_moved_away_is_answered_like_a_miss(
    sign_in_fully, colleague, coordinator, other_area, case_a
):
    """Review finding: a case transferred out keeps its reference; answering it differently from a
    reference never issued would tell a worker in the old area that the victim has moved away."""
    from referrals.models import Case

    Case.objects.filter(pk=case_a.pk).update(area=other_area)
    client = sign_in_fully(colleague)
    moved, never_issued = ask(client, case_a.reference), ask(client, "NWL-2099-0001")
    assert moved.status_code == never_issued.status_code == 200
    for answer in (moved, never_issued):
        assert "No open case has that reference" in answer.content.decode()
        assert "Your request has been sent" not in answer.content.decode()
    asks = {a.reference: a for a in EmergencyAccessRequest.objects.all()}
    shape = {ref: (a.route, a.status, a.refusal, a.case_id) for ref, a in asks.items()}
    assert shape[case_a.reference] == shape["NWL-2099-0001"] == ("own_area", "refused", "no_such_case", None)
    logged = {e.case_reference: (e.event, e.purpose, e.outcome) for e in AccessEvent.objects.filter(user=colleague)}
    assert (
        logged[case_a.reference]
        == logged["NWL-2099-0001"]
        == ("break_glass_refused", "emergency; No open case has that reference", "denied")
    )
    assert not AccessEvent.objects.filter(event="break_glass_requested").exists()
    assert "used emergency access 2 times" not in ask(client, "NWL-2099-0002").content.decode()
    assert "used emergency access 3 times" in ask(client, "NWL-2099-0003").content.decode()  # both counted
