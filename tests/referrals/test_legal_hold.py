"""Legal holds (issue 18, ADR 0027): placed and lifted by the area's coordinator or chair, with the
reason typed and kept encrypted, shown on the case page to them alone, and blocking erasure."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from audit.models import AccessEvent
from marac.models import Role
from referrals import retention
from referrals.models import LegalHold
from tests.conftest import grant_hearing, make_person
from tests.referrals.test_retention import close_months_ago

REASON = "DHR commissioned by the Community Safety Partnership after the death at Coalville"


@pytest.fixture
def kept_a_year(area):
    area.retention_months = 12
    area.save()
    return area


def place(client, case, **data):
    return client.post(f"/cases/{case.reference}/legal-holds/new/", {"kind": "homicide_review", "reason": REASON, **data})


def test_the_coordinator_places_a_hold_the_reason_is_encrypted_and_only_they_and_the_chair_see_it(
    sign_in_fully, case_a, coordinator, chair, referrer, auditor
):
    client = sign_in_fully(coordinator)
    assert place(client, case_a).url == f"/cases/{case_a.reference}/"
    hold = LegalHold.objects.get()
    assert hold.kind == "homicide_review" and hold.reason == REASON and hold.placed_by == coordinator
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM referrals_legalhold")
        assert b"Coalville" not in bytes(cursor.fetchone()[0])
    assert AccessEvent.objects.filter(event="legal_hold_placed", user=coordinator, case_reference=case_a.reference).exists()
    for person in (coordinator, chair):
        page = sign_in_fully(person).get(f"/cases/{case_a.reference}/").content.decode()
        assert REASON in page and "Legal hold placed (domestic homicide review)" in page
        assert "legal_hold.reason" in AccessEvent.objects.filter(user=person, purpose="view case").latest("pk").fields
    for person in (referrer, auditor):  # a homicide review says the victim has died
        page = sign_in_fully(person).get(f"/cases/{case_a.reference}/").content.decode()
        assert "homicide" not in page.lower() and "Legal hold" not in page and REASON not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": ""}, "Choose what the hold is for"),
        ({"kind": "made_up"}, "Choose what the hold is for"),
        ({"reason": "   "}, "Say why the hold is placed"),
        ({"reason": "x" * 2001}, "2000 characters or fewer"),
    ],
)
def test_bad_input_is_refused_clearly_and_keeps_what_was_typed(sign_in_fully, case_a, coordinator, data, message):
    response = place(sign_in_fully(coordinator), case_a, **data)
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and message in page
    if data.get("reason", "").strip() and len(data["reason"]) < 100:
        assert data["reason"] in page
    if "kind" in data:
        assert REASON in page  # the typed reason is kept when the kind was wrong
    assert not LegalHold.objects.exists()


def test_script_in_the_reason_is_shown_as_text(sign_in_fully, case_a, coordinator):
    client = sign_in_fully(coordinator)
    place(client, case_a, reason="<script>alert(1)</script>")
    page = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("persona", ["referrer", "agency_rep", "auditor"])
def test_those_who_see_the_case_without_coordinating_or_chairing_cannot_place_or_lift(request, sign_in_fully, case_a, coordinator, persona):
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, case_a)
    hold = retention.hold_place(case=case_a, kind="litigation", reason="Claim", by=coordinator)
    client = sign_in_fully(person)
    assert place(client, case_a).status_code == 403
    assert client.post(f"/cases/{case_a.reference}/legal-holds/{hold.pk}/lift/", {"lift_reason": "concluded"}).status_code == 403
    assert AccessEvent.objects.filter(event="legal_hold_denied", user=person, outcome="denied").count() == 2
    assert LegalHold.objects.count() == 1 and LegalHold.objects.get().lifted_at is None
    with pytest.raises(PermissionDenied):
        retention.hold_place(case=case_a, kind="litigation", reason="x", by=person)


def test_someone_with_no_tie_and_another_areas_coordinator_get_404(sign_in_fully, case_a, unrelated, other_area, police):
    elsewhere = make_person("elsewhere", Role.COORDINATOR, police, other_area)
    for person in (unrelated, elsewhere):
        assert place(sign_in_fully(person), case_a).status_code == 404
        assert AccessEvent.objects.filter(event="case_access_denied", user=person, case_reference=case_a.reference).exists()
    assert not LegalHold.objects.exists()


def test_a_hold_blocks_erasure_until_it_is_lifted_with_a_reason(sign_in_fully, kept_a_year, case_a, coordinator, chair):
    close_months_ago(case_a, coordinator, 13)
    hold = retention.hold_place(case=case_a, kind="subject_access", reason="SAR received 3 May", by=chair)
    assert not retention.due_for_erasure([kept_a_year], today=hold.placed_at.date()).exists()
    with pytest.raises(ValidationError, match="legal hold"):
        retention.erasure_ask(case=case_a, by=coordinator)
    client = sign_in_fully(coordinator)
    review = client.get("/cases/retention/").content.decode()
    assert "subject access request, since" in review and "SAR received" not in review

    url = f"/cases/{case_a.reference}/legal-holds/{hold.pk}/lift/"
    refused = client.post(url, {})
    assert refused.status_code == 200 and "Choose why the hold is lifted" in refused.content.decode()
    assert client.post(url, {"lift_reason": "concluded"}).url == f"/cases/{case_a.reference}/"
    hold.refresh_from_db()
    assert hold.lifted_by == coordinator and hold.lift_reason == "concluded"
    assert AccessEvent.objects.filter(event="legal_hold_lifted", user=coordinator).exists()
    assert client.post(url, {"lift_reason": "concluded"}).status_code == 404  # lifted: nothing to lift
    with pytest.raises(ValidationError, match="lifted already"):
        retention.hold_lift(hold=hold, lift_reason="concluded", by=chair)
    assert retention.erasure_ask(case=case_a, by=coordinator).status == "pending"


def test_a_hold_on_an_erased_case_is_refused(case_a, coordinator):
    from referrals import services

    services.case_shred(case=case_a, by=None)
    with pytest.raises(ValidationError, match="erased"):
        retention.hold_place(case=case_a, kind="litigation", reason="Claim", by=coordinator)


def test_the_operators_shred_case_command_refuses_a_case_under_a_legal_hold(case_a, coordinator):
    from django.core.management import CommandError, call_command

    from referrals import services

    hold = retention.hold_place(case=case_a, kind="homicide_review", reason="DHR panel", by=coordinator)
    with pytest.raises(CommandError, match="legal hold is in force"):
        call_command("shred_case", case_a.reference, "--yes")
    refused = AccessEvent.objects.get(event="case_shred_refused", case_reference=case_a.reference)
    assert refused.outcome == "denied" and "homicide" not in refused.purpose and "DHR panel" not in refused.purpose
    with pytest.raises(ValidationError, match="legal hold"):  # the service refuses too, whoever calls it
        services.case_shred(case=case_a, by=None)
    case_a.refresh_from_db()
    assert not case_a.is_shredded and LegalHold.objects.get().reason == "DHR panel"
    assert not AccessEvent.objects.filter(event="case_shredded").exists()

    retention.hold_lift(hold=hold, lift_reason="concluded", by=coordinator)
    call_command("shred_case", case_a.reference, "--yes", stdout=__import__("io").StringIO())
    case_a.refresh_from_db()
    assert case_a.is_shredded
