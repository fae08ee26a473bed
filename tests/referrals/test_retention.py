"""Retention (issue 18, ADR 0027): which cases are due for erasure, counted from the last closure
by the area's own period; erasure asked by one coordinator and confirmed by another person, each
way it can go wrong refused cleanly; the retention page, the daily review and the operators'
command."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import MaracArea, NoticeKind, Notification, Role
from referrals import closing, retention, transfers
from referrals.models import Case, ErasureRequest, LegalHold
from tests.conftest import grant_hearing, make_case, make_person


def close_months_ago(case, by, months: int, reason: str = "risk_reduced"):
    """Close `case` as if it had been closed `months` months and a day ago."""
    with time_machine.travel(timezone.now() - timedelta(days=31 * months + 1), tick=False):
        closing.case_close(case=case, reason=reason, by=by)


@pytest.fixture
def kept_a_year(area):
    area.retention_months = 12
    area.save()
    return area


@pytest.fixture
def second_coordinator(area, police):
    return make_person("second_coordinator", Role.COORDINATOR, police, area)


@pytest.fixture
def due_case(kept_a_year, case_a, coordinator):
    close_months_ago(case_a, coordinator, 13)
    return case_a


def due_refs(area):
    return [c.reference for c in retention.due_for_erasure([MaracArea.objects.get(pk=area.pk)], today=timezone.localdate())]


def test_a_case_is_due_only_once_the_areas_period_has_passed_since_it_closed(kept_a_year, case_a, case_b, coordinator, idva, referrer):
    close_months_ago(case_a, coordinator, 13)
    close_months_ago(case_b, coordinator, 11)
    still_open = make_case(kept_a_year, idva, referrer, name="Open Case")
    assert due_refs(kept_a_year) == [case_a.reference]
    assert still_open.reference not in due_refs(kept_a_year)


def test_the_period_counts_from_the_last_closure(due_case, coordinator):
    closing.case_reopen(case=due_case, reason="new_incident", by=coordinator)
    closing.case_close(case=due_case, reason="risk_reduced", by=coordinator)
    assert due_refs(due_case.area) == []


def test_an_area_without_a_period_has_nothing_due_and_its_coordinator_is_told(sign_in_fully, area, case_a, coordinator):
    close_months_ago(case_a, coordinator, 120)
    assert area.retention_months is None and due_refs(area) == []
    client = sign_in_fully(coordinator)
    assert "Set a retention period" in client.get("/").content.decode()
    page = client.get("/cases/retention/").content.decode()
    assert "Set a retention period" in page and f"{area.name} has none" in page
    assert case_a.reference not in page


def test_one_coordinator_asks_and_a_different_one_confirms_and_the_case_is_erased(
    sign_in_fully, due_case, coordinator, second_coordinator, chair, django_capture_on_commit_callbacks
):
    client = sign_in_fully(coordinator)
    review = client.get("/cases/retention/").content.decode()
    assert due_case.reference in review and "Sarah Mitchell" not in review
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/cases/{due_case.reference}/erasure/").url == "/cases/retention/"
    ask = ErasureRequest.objects.get()
    told = Notification.objects.filter(kind=NoticeKind.ERASURE_TO_CONFIRM)
    assert set(told.values_list("user__username", flat=True)) == {"second_coordinator", "chair"}  # never the asker
    assert {n.subject_key for n in told} == {f"erasure_request:{ask.pk}"}  # ids only
    assert "Another coordinator or the chair must confirm" in client.get("/cases/retention/").content.decode()

    client = sign_in_fully(second_coordinator)
    assert "Erasures to confirm" in client.get("/").content.decode()
    assert client.post(f"/cases/retention/erasure/{ask.pk}/").url == "/cases/retention/"
    due_case.refresh_from_db()
    ask.refresh_from_db()
    assert due_case.is_shredded and ask.status == "confirmed" and ask.decided_by == second_coordinator
    for event in ("erasure_requested", "erasure_confirmed", "case_shredded"):
        assert AccessEvent.objects.filter(event=event, case_reference=due_case.reference).exists(), event


def test_the_asker_cannot_confirm_even_through_a_second_membership(sign_in_fully, due_case, coordinator, police):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    from marac.models import Membership

    Membership.objects.create(user=coordinator, agency=police, area=due_case.area, role=Role.CHAIR)
    client = sign_in_fully(coordinator)
    assert client.post(f"/cases/retention/erasure/{ask.pk}/").status_code == 403
    assert AccessEvent.objects.filter(event="erasure_confirm_denied", outcome="denied", user=coordinator).exists()
    with pytest.raises(PermissionDenied):
        retention.erasure_confirm(ask=ask, by=coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "pending"


def test_a_chair_confirms_but_only_a_coordinator_asks(sign_in_fully, due_case, coordinator, chair):
    assert sign_in_fully(chair).post(f"/cases/{due_case.reference}/erasure/").status_code == 403
    assert AccessEvent.objects.filter(event="erasure_request_denied", user=chair, outcome="denied").exists()
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    retention.erasure_confirm(ask=ask, by=chair)
    due_case.refresh_from_db()
    assert due_case.is_shredded


def test_asking_twice_makes_one_request(sign_in_fully, due_case, coordinator):
    client = sign_in_fully(coordinator)
    client.post(f"/cases/{due_case.reference}/erasure/")
    again = client.post(f"/cases/{due_case.reference}/erasure/")
    assert again.status_code == 400 and "waiting for a second person" in again.content.decode()
    assert ErasureRequest.objects.count() == 1


def test_a_double_submitted_confirmation_erases_once_and_the_second_is_refused_cleanly(
    sign_in_fully, due_case, coordinator, second_coordinator
):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    client = sign_in_fully(second_coordinator)
    assert client.post(f"/cases/retention/erasure/{ask.pk}/").status_code == 302
    again = client.post(f"/cases/retention/erasure/{ask.pk}/")
    assert again.status_code == 400 and "no longer waiting" in again.content.decode()
    assert AccessEvent.objects.filter(event="case_shredded", case_reference=due_case.reference).count() == 1


def test_placing_a_hold_lapses_the_waiting_request_and_confirming_it_is_refused(sign_in_fully, due_case, coordinator, second_coordinator):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    retention.hold_place(case=due_case, kind=LegalHold.Kind.HOMICIDE_REVIEW, reason="DHR commissioned by the CSP", by=second_coordinator)
    ask.refresh_from_db()
    assert ask.status == "lapsed" and ask.decided_by == second_coordinator  # at once, not when someone comes to confirm
    assert AccessEvent.objects.filter(event="erasure_lapsed", case_reference=due_case.reference).exists()
    response = sign_in_fully(second_coordinator).post(f"/cases/retention/erasure/{ask.pk}/")
    assert response.status_code == 400 and "no longer waiting" in response.content.decode()
    due_case.refresh_from_db()
    assert not due_case.is_shredded


def test_a_hold_placed_and_lifted_after_the_ask_still_stops_that_ask_being_confirmed(due_case, coordinator, second_coordinator, chair):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    hold = retention.hold_place(case=due_case, kind=LegalHold.Kind.LITIGATION, reason="Civil claim", by=chair)
    ErasureRequest.objects.filter(pk=ask.pk).update(status="pending")  # as if the hold had not lapsed it (an older row)
    retention.hold_lift(hold=hold, lift_reason="placed_in_error", by=coordinator)
    with pytest.raises(ValidationError, match="legal hold has been placed on this case since"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "lapsed"


def test_an_ask_made_before_the_case_was_reopened_cannot_be_confirmed_once_it_is_due_again(due_case, coordinator, second_coordinator):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    ErasureRequest.objects.filter(pk=ask.pk).update(asked_at=timezone.now() - timedelta(days=3))
    closing.case_reopen(case=due_case, reason="new_incident", by=second_coordinator)
    closing.case_close(case=due_case, reason="risk_reduced", by=second_coordinator)
    with time_machine.travel(timezone.now() + timedelta(days=31 * 13), tick=False):
        assert retention.why_not_due(due_case, today=timezone.localdate()) == ""  # due again, under a new closure
        with pytest.raises(ValidationError, match="reopened or closed since"):
            retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "lapsed"


def test_a_checklist_started_since_the_case_closed_keeps_it_and_the_waiting_ask_lapses(due_case, coordinator, second_coordinator, referrer):
    from referrals import services

    ask = retention.erasure_ask(case=due_case, by=coordinator)
    services.assessment_start(case=due_case, by=referrer, on=timezone.localdate())  # a new referral on its way
    assert due_refs(due_case.area) == []
    with pytest.raises(ValidationError, match="risk checklist has been started on this case since it closed"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "lapsed"


def test_an_incident_since_the_case_closed_keeps_it(due_case, coordinator, second_coordinator, referrer, idva):
    from referrals import services

    ask = retention.erasure_ask(case=due_case, by=coordinator)
    today = timezone.localdate()
    services.incident_record(
        case=due_case, occurred_on=today - timedelta(days=3), kind="threats", police_callout=False, agency=idva, by=referrer, today=today
    )
    assert due_refs(due_case.area) == []
    with pytest.raises(ValidationError, match="An incident since the case closed"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded


def test_an_incident_or_a_checklist_from_before_the_closure_does_not_keep_it(due_case, coordinator, referrer, idva):
    from referrals import services

    closed_on = timezone.localtime(due_case.status_changes.get().at).date()
    services.assessment_start(case=due_case, by=referrer, on=closed_on - timedelta(days=1))
    services.incident_record(
        case=due_case,
        occurred_on=closed_on - timedelta(days=1),
        kind="threats",
        police_callout=False,
        agency=idva,
        by=referrer,
        today=closed_on,
    )
    assert due_refs(due_case.area) == [due_case.reference]


def test_an_ask_by_a_coordinator_whose_membership_has_ended_cannot_be_confirmed(due_case, coordinator, second_coordinator):
    from marac.models import Membership

    ask = retention.erasure_ask(case=due_case, by=coordinator)
    Membership.objects.filter(user=coordinator, area=due_case.area).update(is_active=False)  # left, or was removed
    with pytest.raises(ValidationError, match="no longer coordinates"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "lapsed"


def test_a_deactivated_second_person_cannot_confirm(sign_in_fully, due_case, coordinator, second_coordinator):
    from marac.models import Membership

    ask = retention.erasure_ask(case=due_case, by=coordinator)
    client = sign_in_fully(second_coordinator)
    Membership.objects.filter(user=second_coordinator).update(is_active=False)
    response = client.post(f"/cases/retention/erasure/{ask.pk}/")
    assert response.status_code in (302, 403, 404) and response.get("Location") != "/cases/retention/"  # signed out, or refused
    with pytest.raises(PermissionDenied):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "pending"


def test_the_confirm_page_shows_a_hold_lifted_before_the_ask(sign_in_fully, due_case, coordinator, second_coordinator):
    hold = retention.hold_place(case=due_case, kind=LegalHold.Kind.HOMICIDE_REVIEW, reason="DHR panel", by=second_coordinator)
    retention.hold_lift(hold=hold, lift_reason="placed_in_error", by=coordinator)
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    page = sign_in_fully(second_coordinator).get(f"/cases/retention/erasure/{ask.pk}/").content.decode()
    assert "Domestic homicide review: placed" in page and "the hold was placed in error" in page
    assert "DHR panel" not in page  # the reason is not on this page


def test_the_confirm_page_does_not_show_holds_the_receiving_area_placed_after_a_transfer(
    sign_in_fully, due_case, coordinator, second_coordinator, other_area, police
):
    receiving = make_person("receiving", Role.COORDINATOR, police, other_area)
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    offer = transfers.transfer_offer(case=due_case, to_area=other_area, reason="victim_moved", by=coordinator)
    transfers.transfer_accept(offer=offer, agency=None, by=receiving)
    retention.hold_place(case=due_case, kind=LegalHold.Kind.HOMICIDE_REVIEW, reason="DHR", by=receiving)
    page = sign_in_fully(second_coordinator).get(f"/cases/retention/erasure/{ask.pk}/").content.decode()
    assert "homicide" not in page.lower()  # says the victim died, to an area no longer related to the case


def test_confirming_after_the_case_is_reopened_is_refused(due_case, coordinator, second_coordinator):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    closing.case_reopen(case=due_case, reason="new_incident", by=second_coordinator)
    with pytest.raises(ValidationError, match="open"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert due_case.status == Case.Status.OPEN and ErasureRequest.objects.get().status == "lapsed"


def test_confirming_after_the_case_is_transferred_is_refused(due_case, coordinator, second_coordinator, other_area, police):
    other_area.retention_months = 1
    other_area.save()
    receiving = make_person("receiving", Role.COORDINATOR, police, other_area)
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    offer = transfers.transfer_offer(case=due_case, to_area=other_area, reason="victim_moved", by=coordinator)
    transfers.transfer_accept(offer=offer, agency=None, by=receiving)
    with pytest.raises(ValidationError, match="transferred"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded and ErasureRequest.objects.get().status == "lapsed"


def test_a_request_can_be_withdrawn_and_is_then_not_confirmed(sign_in_fully, due_case, coordinator, second_coordinator):
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    client = sign_in_fully(coordinator)
    assert client.get(f"/cases/retention/erasure/{ask.pk}/withdraw/").status_code == 405
    assert client.post(f"/cases/retention/erasure/{ask.pk}/withdraw/").url == "/cases/retention/"
    with pytest.raises(ValidationError, match="withdrawn"):
        retention.erasure_confirm(ask=ask, by=second_coordinator)
    due_case.refresh_from_db()
    assert not due_case.is_shredded


def test_a_case_not_yet_due_cannot_be_asked_for(sign_in_fully, kept_a_year, case_a, coordinator):
    close_months_ago(case_a, coordinator, 2)
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/erasure/")
    assert response.status_code == 400 and "not due for erasure until" in response.content.decode()
    assert not ErasureRequest.objects.exists()


@pytest.mark.parametrize("persona", ["referrer", "agency_rep", "auditor", "unrelated"])
def test_the_retention_page_is_refused_to_anyone_who_neither_coordinates_nor_chairs(request, sign_in_fully, due_case, persona):
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, due_case)
    assert sign_in_fully(person).get("/cases/retention/").status_code == 403
    assert AccessEvent.objects.filter(event="retention_review_denied", user=person, outcome="denied").exists()


@pytest.mark.parametrize("persona", ["referrer", "auditor"])
def test_asking_for_erasure_is_refused_to_those_who_see_the_case_without_coordinating(request, sign_in_fully, due_case, persona):
    person = request.getfixturevalue(persona)
    assert sign_in_fully(person).post(f"/cases/{due_case.reference}/erasure/").status_code == 403
    assert AccessEvent.objects.filter(event="erasure_request_denied", user=person, outcome="denied").exists()
    assert not ErasureRequest.objects.exists()


def test_another_areas_coordinator_cannot_see_or_confirm_a_request(sign_in_fully, due_case, coordinator, other_area, police):
    elsewhere = make_person("elsewhere", Role.COORDINATOR, police, other_area)
    ask = retention.erasure_ask(case=due_case, by=coordinator)
    client = sign_in_fully(elsewhere)
    assert due_case.reference not in client.get("/cases/retention/").content.decode()
    assert client.post(f"/cases/retention/erasure/{ask.pk}/").status_code == 404
    assert client.post(f"/cases/{due_case.reference}/erasure/").status_code == 404
    assert AccessEvent.objects.filter(event="erasure_request_denied", user=elsewhere, outcome="denied").exists()
    with pytest.raises(PermissionDenied):
        retention.erasure_confirm(ask=ask, by=elsewhere)
    due_case.refresh_from_db()
    assert not due_case.is_shredded


def test_the_daily_review_records_each_area_once_a_day(due_case, other_area):
    from referrals.tasks import review_retention

    assert review_retention() == {"NWL": 1, "CHA": 0}
    review_retention()  # run twice: nothing more recorded
    events = AccessEvent.objects.filter(event="retention_reviewed")
    assert events.count() == 2
    assert {e.purpose.split(": ", 1)[1] for e in events} == {
        f"area {due_case.area_id}, 1 due, 0 on hold",
        f"area {other_area.pk}, no retention period set",
    }


def test_the_daily_review_records_each_area_once_a_day_even_when_the_counts_change(due_case, coordinator):
    from referrals.tasks import review_retention

    review_retention()
    retention.erasure_ask(case=due_case, by=coordinator)  # no longer counted as due: another count
    review_retention()
    assert AccessEvent.objects.filter(event="retention_reviewed", purpose__contains=f"area {due_case.area_id}, ").count() == 1


def test_the_review_is_on_the_beat_schedule_under_the_tasks_registered_name():
    from marac.schedules import BEAT_SCHEDULE
    from referrals.tasks import review_retention

    assert BEAT_SCHEDULE["review-retention"]["task"] == review_retention.name


def test_the_operators_command_lists_cases_due_holds_and_areas_without_a_period(capsys, due_case, case_b, coordinator, other_area):
    retention.hold_place(case=case_b, kind=LegalHold.Kind.LITIGATION, reason="Civil claim", by=coordinator)
    call_command("retention_review")
    out = capsys.readouterr().out
    closed_on = timezone.localtime(due_case.status_changes.get().at).date().isoformat()
    assert f"{due_case.reference} closed {closed_on}, due since" in out
    assert f"{case_b.reference} litigation since" in out and "Civil claim" not in out
    assert "Areas without a retention period: CHA" in out
    call_command("retention_review", "--area", "CHA")
    only = capsys.readouterr().out
    assert due_case.reference not in only and "CHA Charnwood: no retention period set" in only
    with pytest.raises(CommandError):
        call_command("retention_review", "--area", "ZZZ")


def test_the_home_page_counts_cases_due_and_not_ones_already_asked_for(sign_in_fully, due_case, coordinator, second_coordinator):
    from marac.viewer import Viewer

    def items(user):
        return {i.label: i.count for i in retention.coordinator_work(Viewer.of(user))}

    assert items(coordinator)["Cases due for erasure"] == 1
    retention.erasure_ask(case=due_case, by=coordinator)
    assert items(coordinator) == {"Cases due for erasure": 0, "Erasures to confirm": 0}
    assert items(second_coordinator)["Erasures to confirm"] == 1


RACES = """
import threading, django
django.setup()
from datetime import timedelta
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from marac.models import Agency, AgencyKind, MaracArea, Role
from referrals import closing, retention
from referrals.models import Case, LegalHold
from tests.conftest import make_case, make_person

area = MaracArea.objects.create(name="A", short_code="AAA", retention_months=12)
idva = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
police = Agency.objects.create(name="Police", kind=AgencyKind.POLICE)
referrer = make_person("referrer", Role.REFERRER, idva, area)
asker, second = make_person("asker", Role.COORDINATOR, police, area), make_person("second", Role.COORDINATOR, police, area)
chair = make_person("chair", Role.CHAIR, police, area)
cases = [make_case(area, idva, referrer, name=f"Person {n}") for n in range(2)]
with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
    for case in cases:
        closing.case_close(case=case, reason="risk_reduced", by=asker)
asks = [retention.erasure_ask(case=case, by=asker) for case in cases]
outcomes = []

def run(work):
    start.wait()
    try:
        work()
        outcomes.append("done")
    except ValidationError:
        outcomes.append("refused")
    finally:
        connection.close()

def race(*works):
    global start
    start = threading.Barrier(len(works))
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]

# Two confirmers of one ask: one erases, the other is refused.
race(lambda: retention.erasure_confirm(ask=asks[0], by=second), lambda: retention.erasure_confirm(ask=asks[0], by=chair))
print(sorted(outcomes), Case.objects.get(pk=cases[0].pk).status)
# A hold placed while another confirms: never a hold in force on an erased case.
outcomes.clear()
race(
    lambda: retention.erasure_confirm(ask=asks[1], by=second),
    lambda: retention.hold_place(case=cases[1], kind="litigation", reason="Claim", by=chair),
)
erased = Case.objects.get(pk=cases[1].pk).is_shredded
held = LegalHold.objects.filter(case=cases[1], lifted_at=None).exists()
print(sorted(outcomes), erased != held)
# The daily review run twice at once (a retry, a second beat): one event per area and day.
import time
from audit.models import AccessEvent
worked_out = retention.review
def slow_review(*args, **kwargs):  # widen the window between working out and recording
    found = worked_out(*args, **kwargs)
    time.sleep(0.5)
    return found
retention.review = slow_review
outcomes.clear()
race(retention.scheduled_review, retention.scheduled_review)
print(sorted(outcomes), AccessEvent.objects.filter(event="retention_reviewed").count())
"""


@pytest.mark.django_db
def test_racing_confirmations_a_hold_racing_a_confirmation_and_two_reviews_each_end_one_way_only():
    from django.db import connection

    from tests.scratch_db import python_in_scratch_postgres

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    lines = python_in_scratch_postgres(RACES).strip().splitlines()[-3:]
    assert lines == ["['done', 'refused'] shredded", "['done', 'refused'] True", "['done', 'done'] 1"]


def test_the_retention_page_reads_a_fixed_number_of_queries_however_many_cases_are_due(
    sign_in_fully, django_assert_max_num_queries, due_case, coordinator, idva, referrer, second_coordinator
):
    client = sign_in_fully(coordinator)
    retention.erasure_ask(case=due_case, by=second_coordinator)
    client.get("/cases/retention/")  # the session and the viewer warmed up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/cases/retention/")
    for n in range(3):
        case = make_case(due_case.area, idva, referrer, name=f"Person {n}")
        close_months_ago(case, coordinator, 14)
        retention.hold_place(case=make_case(due_case.area, idva, referrer, name=f"Held {n}"), kind="litigation", reason="x", by=coordinator)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/cases/retention/").content.decode()
    assert page.count("Ask for erasure<span") == 3 and page.count("litigation, since") == 3
