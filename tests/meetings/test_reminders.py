"""Notifications about meetings and actions (meetings/reminders.py): the agenda and minutes issued,
actions given to an agency, packs ready, and the reminders on the beat schedule (research due,
actions due in 3 days and overdue). Each goes once, to the right people only."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from marac.models import EmailOptOut, NoticeKind, Notification, Role
from marac.notices import NOTICES
from marac.schedules import BEAT_SCHEDULE
from meetings import reminders, tasks
from meetings import services as meetings
from meetings.models import Action, Attendance, Meeting
from meetings.selectors import working_days_before
from tests.conftest import make_person


@pytest.fixture
def people(area, other_area, referrer, coordinator, chair, agency_rep, auditor, police, childrens_services, db):
    """Everyone in the area, and those who must hear nothing: another area's representative of an
    invited agency, and a representative of an agency not invited."""
    from marac.models import Agency, AgencyKind

    housing = Agency.objects.create(name="Coalville Housing", kind=AgencyKind.HOUSING)
    everyone = {
        "referrer": referrer,
        "coordinator": coordinator,
        "chair": chair,
        "agency_rep": agency_rep,
        "auditor": auditor,
        "police_rep": make_person("police_rep", Role.AGENCY_REP, police, area),
        "elsewhere_rep": make_person("elsewhere_rep", Role.AGENCY_REP, childrens_services, other_area),
        "housing_rep": make_person("housing_rep", Role.AGENCY_REP, housing, area),
    }
    for user in everyone.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return everyone


@pytest.fixture(autouse=True)
def packs_without_pdfs(monkeypatch):
    """Events that change a meeting queue its packs: "rendered" as their HTML, no PDF needed here."""
    monkeypatch.setattr("meetings.packs.render_pdf", lambda html, **limits: b"%PDF-stand-in\n" + html.encode())


def told(kind, subject_key=None) -> set[str]:
    rows = Notification.objects.filter(kind=kind)
    if subject_key:
        rows = rows.filter(subject_key=subject_key)
    return set(rows.values_list("user__username", flat=True))


def emailed(kind) -> list[str]:
    """Who was sent the email of this kind."""
    subject = NOTICES[kind].subject
    return sorted(message.to[0].split("@")[0] for message in mail.outbox if message.subject == subject)


def test_issuing_the_agenda_tells_the_chair_and_the_invited_agencies_representatives(
    people, listed, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meetings.agenda_issue(meeting=listed, by=coordinator)
    assert told(NoticeKind.AGENDA_ISSUED) == {"chair", "agency_rep", "police_rep"}  # not the coordinator who issued it
    assert emailed(NoticeKind.AGENDA_ISSUED) == ["agency_rep", "chair", "police_rep"]
    assert Notification.objects.get(user=people["agency_rep"]).url == f"/meetings/{listed.pk}/"


def action_for(meeting, case, agency, by, *, due_in_days=10):
    """An action as the minutes record it (the model directly, so these tests do not depend on how
    the form chooses an owner)."""
    return Action.objects.create(
        meeting=meeting,
        case=case,
        agency=agency,
        owner="Duty social worker",
        description="Visit at the refuge",
        due_on=timezone.localdate() + timedelta(days=due_in_days),
        created_by=by,
    )


@pytest.fixture
def minutes_ready(rep_accepted, coordinator, case_a, childrens_services):
    """The meeting held (today: it cannot start before its day) and its minutes in draft."""
    Meeting.objects.filter(pk=rep_accepted.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    rep_accepted.refresh_from_db()
    meetings.meeting_advance(meeting=rep_accepted, by=coordinator)
    meeting = meetings.meeting_advance(meeting=rep_accepted, by=coordinator)
    assert meeting.status == Meeting.Status.MINUTES_DRAFT
    return meeting


def test_issuing_the_minutes_tells_everyone_invited_and_each_owning_agency_of_its_actions(
    people, minutes_ready, coordinator, case_a, childrens_services, django_capture_on_commit_callbacks
):
    action = action_for(minutes_ready, case_a, childrens_services, coordinator)
    assert told(NoticeKind.ACTION_ASSIGNED) == set()  # not while representatives cannot see it yet
    with django_capture_on_commit_callbacks(execute=True):
        meetings.minutes_issue(meeting=minutes_ready, by=coordinator)
    assert told(NoticeKind.MINUTES_ISSUED) == {"chair", "agency_rep", "police_rep"}
    assert told(NoticeKind.ACTION_ASSIGNED) == {"agency_rep"}
    assert Notification.objects.get(kind=NoticeKind.ACTION_ASSIGNED).url == f"/meetings/actions/{action.pk}/"


def test_an_action_assigned_link_is_followed_through_the_action_page_access(
    people, minutes_ready, coordinator, case_a, childrens_services, sign_in_fully
):
    action = action_for(minutes_ready, case_a, childrens_services, coordinator)
    meetings.minutes_issue(meeting=minutes_ready, by=coordinator)
    url = Notification.objects.get(kind=NoticeKind.ACTION_ASSIGNED).url
    assert sign_in_fully(people["agency_rep"]).get(url).status_code == 200
    assert sign_in_fully(people["police_rep"]).get(url).status_code == 404
    assert url == f"/meetings/actions/{action.pk}/"


def test_no_meeting_email_carries_anything_about_the_cases(
    people, minutes_ready, coordinator, case_a, childrens_services, django_capture_on_commit_callbacks
):
    action_for(minutes_ready, case_a, childrens_services, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.minutes_issue(meeting=minutes_ready, by=coordinator)
    assert mail.outbox
    for message in mail.outbox:
        whole = message.subject + message.body
        for secret in (case_a.reference, "Sarah", "Mitchell", "Belvoir", "refuge", "Room 4", "Coalville", "/meetings/"):
            assert secret.lower() not in whole.lower()


def test_the_pack_ready_notice_is_in_the_app_too_and_its_email_can_be_turned_off(people, rep_accepted, django_capture_on_commit_callbacks):
    EmailOptOut.objects.create(user=people["chair"], kind=NoticeKind.PACK_READY)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_packs(rep_accepted.pk)
    assert told(NoticeKind.PACK_READY) == {"chair", "agency_rep", "coordinator"}
    assert emailed(NoticeKind.PACK_READY) == ["agency_rep", "coordinator"]  # the chair turned pack emails off
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_packs(rep_accepted.pk)
    assert Notification.objects.filter(kind=NoticeKind.PACK_READY).count() == 3 and len(emailed(NoticeKind.PACK_READY)) == 2


# --- reminders on the beat schedule ------------------------------------------------------------------


def test_the_reminders_are_on_the_beat_schedule():
    assert "meetings.tasks.send_reminders" in {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "marac.notices.email_stalled_notifications" in {entry["task"] for entry in BEAT_SCHEDULE.values()}


def run_reminders(capture, times=2):
    for _ in range(times):  # beat may run a job twice; it must tell nobody twice
        with capture(execute=True):
            tasks.send_reminders.apply()


def morning_of(day):
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def research_due_day(meeting, settings):
    return working_days_before(timezone.localtime(meeting.starts_at).date(), settings.MARAC_RESEARCH_DUE_WORKING_DAYS, meeting.area.nation)


def test_research_is_due_a_set_number_of_working_days_before_the_meeting_and_told_once(
    people, issued, settings, django_capture_on_commit_callbacks
):
    due = research_due_day(issued, settings)
    with time_machine.travel(morning_of(due - timedelta(days=1))):
        run_reminders(django_capture_on_commit_callbacks)
        assert told(NoticeKind.RESEARCH_DUE) == set()  # not yet
    with time_machine.travel(morning_of(due)):
        run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.RESEARCH_DUE) == {"agency_rep", "police_rep"}
    assert emailed(NoticeKind.RESEARCH_DUE) == ["agency_rep", "police_rep"]


def test_an_agency_that_has_returned_research_on_every_case_is_not_reminded(
    people, issued, settings, case_a, case_b, childrens_services, django_capture_on_commit_callbacks
):
    rep = people["agency_rep"]
    meetings.confidentiality_accept(meeting=issued, user=rep, agency=childrens_services)
    for case in (case_a, case_b):
        meetings.research_save(
            meeting=issued, case=case, agency=childrens_services, facts="Known to us", opinion="", not_shared="", by=rep, expected_version=0
        )
    due = research_due_day(issued, settings)
    with time_machine.travel(morning_of(due)):
        run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.RESEARCH_DUE) == {"police_rep"}


def test_the_research_reminder_follows_the_setting(people, issued, settings, django_capture_on_commit_callbacks):
    settings.MARAC_RESEARCH_DUE_WORKING_DAYS = 1
    earlier = working_days_before(timezone.localtime(issued.starts_at).date(), 3, issued.area.nation)
    with time_machine.travel(morning_of(earlier)):
        run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.RESEARCH_DUE) == set()


@pytest.fixture
def minutes_out(people, minutes_ready, coordinator):
    meetings.minutes_issue(meeting=minutes_ready, by=coordinator)
    Notification.objects.all().delete()  # the issue's own notifications: these tests are about the reminders
    return minutes_ready


def test_an_action_due_in_three_days_is_told_once_to_the_owning_agency(
    people, minutes_out, coordinator, case_a, childrens_services, django_capture_on_commit_callbacks
):
    action_for(minutes_out, case_a, childrens_services, coordinator, due_in_days=3)
    action_for(minutes_out, case_a, childrens_services, coordinator, due_in_days=4)  # not yet
    run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.ACTION_DUE) == {"agency_rep"}
    assert Notification.objects.filter(kind=NoticeKind.ACTION_DUE).count() == 1
    assert emailed(NoticeKind.ACTION_DUE) == ["agency_rep"]


def test_an_overdue_action_is_told_once_and_a_done_one_not_at_all(
    people, minutes_out, coordinator, case_a, childrens_services, police, django_capture_on_commit_callbacks
):
    overdue = action_for(minutes_out, case_a, police, coordinator, due_in_days=-1)
    done = action_for(minutes_out, case_a, childrens_services, coordinator, due_in_days=-2)
    Action.objects.filter(pk=done.pk).update(status=Action.Status.DONE)
    Attendance.objects.create(meeting=minutes_out, user=people["police_rep"], agency=police, confidentiality_accepted_at=timezone.now())
    make_person("police_rep_absent", Role.AGENCY_REP, police, minutes_out.area)  # never accepted: their tracker shows no action
    run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.ACTION_OVERDUE) == {"police_rep"}
    assert Notification.objects.get(kind=NoticeKind.ACTION_OVERDUE).url == f"/meetings/actions/{overdue.pk}/"
    assert emailed(NoticeKind.ACTION_OVERDUE) == ["police_rep"]


def test_an_action_given_a_new_date_is_reminded_again(
    people, minutes_out, coordinator, case_a, childrens_services, django_capture_on_commit_callbacks
):
    action = action_for(minutes_out, case_a, childrens_services, coordinator, due_in_days=-1)
    run_reminders(django_capture_on_commit_callbacks)
    Action.objects.filter(pk=action.pk).update(due_on=timezone.localdate() + timedelta(days=2))
    run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.ACTION_OVERDUE) == told(NoticeKind.ACTION_DUE) == {"agency_rep"}


def test_actions_of_a_meeting_whose_minutes_are_not_issued_are_not_reminded(
    people, minutes_ready, coordinator, case_a, childrens_services, django_capture_on_commit_callbacks
):
    action_for(minutes_ready, case_a, childrens_services, coordinator, due_in_days=-1)
    run_reminders(django_capture_on_commit_callbacks)
    assert told(NoticeKind.ACTION_OVERDUE) == set()


def test_the_reminder_functions_report_what_they_looked_at(people, minutes_out, coordinator, case_a, childrens_services):
    action_for(minutes_out, case_a, childrens_services, coordinator, due_in_days=-1)
    assert reminders.actions_due(timezone.localdate()) == 1
