"""Notifications (marac/notices.py): made once per person and event, to the right people only;
their emails say nothing but that something needs attention, go once, and stop when the person
turns that kind off; the list shows a person only their own."""

import email
import re
from datetime import date, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AccessEvent
from marac import notices
from marac.models import EmailOptOut, NoticeKind, Notification, Role
from referrals import services
from referrals.checklists import DASH_2009
from tests.conftest import make_person
from tests.processes import free_port

SIGN_IN_URL = "http://127.0.0.1:8000/sign-in/"


@pytest.fixture
def with_email(referrer, coordinator, chair, agency_rep, auditor, unrelated):
    for user in (referrer, coordinator, chair, agency_rep, auditor, unrelated):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def submitted(case, *, referrer, agency):
    assessment = services.assessment_start(case=case, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent="given", today=date.today())


def decide(referral, status, *, by, capture):
    with capture(execute=True):  # the request commits; the worker sends the email (eager in tests)
        return services.referral_decide(referral=referral, status=status, reason="Sarah Mitchell's new address?", by=by)


def kinds_of(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- made on its event, for the right people only ------------------------------------------------


def test_asking_for_more_information_tells_the_referrer_and_no_one_else(
    case_a, referrer, idva, coordinator, chair, agency_rep, auditor, unrelated, with_email, django_capture_on_commit_callbacks
):
    other_referrer = make_person("other_referrer", Role.REFERRER, idva, unrelated.memberships.get().area)
    colleague = make_person("colleague", Role.REFERRER, idva, case_a.area)  # same agency and area, not on the case
    referral = submitted(case_a, referrer=referrer, agency=idva)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)

    assert kinds_of(referrer) == [NoticeKind.MORE_INFO]
    for nobody in (coordinator, chair, agency_rep, auditor, unrelated, other_referrer, colleague):
        assert kinds_of(nobody) == []
    assert [m.to for m in mail.outbox] == [["referrer@example.org"]]
    notification = Notification.objects.get(user=referrer)
    assert notification.url == f"/referrals/{referral.pk}/" and notification.email == Notification.Email.SENT


def test_the_referrer_follows_the_link_to_the_referral_and_no_one_else_can(
    case_a, referrer, idva, coordinator, unrelated, sign_in_fully, django_capture_on_commit_callbacks
):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    url = Notification.objects.get(user=referrer).url
    assert sign_in_fully(referrer).get(url).status_code == 200
    assert sign_in_fully(unrelated).get(url).status_code == 404  # the page's own getter, as for anyone


def test_each_request_for_more_information_is_told_and_the_decision_once(
    case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks
):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    services.referral_resubmit(referral=referral, by=referrer)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    services.referral_resubmit(referral=referral, by=referrer)
    decide(referral, "declined", by=coordinator, capture=django_capture_on_commit_callbacks)

    assert kinds_of(referrer) == [NoticeKind.MORE_INFO, NoticeKind.MORE_INFO, NoticeKind.REFERRAL_DECIDED]
    assert len(mail.outbox) == 3


def test_an_accepted_referral_tells_the_referrer(case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks):
    decide(submitted(case_a, referrer=referrer, agency=idva), "accepted", by=coordinator, capture=django_capture_on_commit_callbacks)
    assert kinds_of(referrer) == [NoticeKind.REFERRAL_DECIDED]
    assert mail.outbox[0].subject == notices.NOTICES[NoticeKind.REFERRAL_DECIDED].subject


def test_a_decision_that_fails_tells_nobody(case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="Give the reason"):
        services.referral_decide(referral=referral, status="declined", reason=" ", by=coordinator)
    assert kinds_of(referrer) == [] and mail.outbox == []


def test_the_person_who_acts_and_deactivated_accounts_are_not_told(
    agency_rep, coordinator, chair, with_email, django_capture_on_commit_callbacks
):
    chair.is_active = False
    chair.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        notices.notify(
            kind=NoticeKind.AGENDA_ISSUED,
            subject_key="meeting:1",
            users=[agency_rep, coordinator, chair],
            url="/meetings/1/",
            by=coordinator,
        )
    assert [n.user for n in Notification.objects.all()] == [agency_rep]


def test_an_event_told_twice_makes_one_notification_and_one_email(agency_rep, with_email, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notices.notify(kind=NoticeKind.AGENDA_ISSUED, subject_key="meeting:1", users=[agency_rep], url="/meetings/1/")
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_referrer_who_has_left_the_agency_is_told_nothing(
    case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks
):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    referrer.memberships.update(is_active=False)  # left the agency; the account stays (other work)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    assert kinds_of(referrer) == [] and mail.outbox == []


def test_a_referrer_now_at_another_agency_or_area_is_not_told_about_the_old_agencys_referral(
    case_a, referrer, idva, police, other_area, coordinator, with_email, django_capture_on_commit_callbacks
):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    membership = referrer.memberships.get()
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    referrer.memberships.create(agency=police, area=membership.area, role=Role.REFERRER)  # moved to the police
    referrer.memberships.create(agency=idva, area=other_area, role=Role.REFERRER)  # and the IDVA service elsewhere
    decide(referral, "accepted", by=coordinator, capture=django_capture_on_commit_callbacks)
    assert kinds_of(referrer) == [] and mail.outbox == []


def test_a_referrer_who_left_between_the_event_and_the_email_gets_no_email(
    case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks
):
    referral = submitted(case_a, referrer=referrer, agency=idva)
    services.referral_decide(referral=referral, status="more_info", reason="Which school?", by=coordinator)  # email not sent yet
    notification = Notification.objects.get(user=referrer)
    referrer.memberships.update(is_active=False)
    notices.email_notification.apply(args=(notification.pk,))
    notification.refresh_from_db()
    assert mail.outbox == [] and notification.email == Notification.Email.NO_ADDRESS


def test_a_chair_or_coordinator_named_on_a_meeting_is_told_only_while_they_still_hold_that_role_there(
    coordinator, chair, agency_rep, police, other_area, area, with_email, django_capture_on_commit_callbacks
):
    chair.memberships.update(is_active=False)  # no longer chairs
    coordinator.memberships.update(is_active=False)
    coordinator.memberships.create(agency=police, area=other_area, role=Role.COORDINATOR)  # coordinates elsewhere now
    referrer_only = make_person("referrer_named", Role.REFERRER, police, area)  # never a meeting role
    with django_capture_on_commit_callbacks(execute=True):
        notices.notify(
            kind=NoticeKind.AGENDA_ISSUED,
            subject_key="meeting:1",
            users=[chair, coordinator, agency_rep, referrer_only],
            url="/meetings/1/",
            area_id=area.pk,
        )
    assert [n.user for n in Notification.objects.all()] == [agency_rep]
    assert [m.to for m in mail.outbox] == [["agency_rep@example.org"]]


def test_the_database_refuses_a_second_notification_for_the_same_subject(referrer):
    Notification.objects.create(user=referrer, kind=NoticeKind.ACTION_OVERDUE, subject_key="action:1:overdue:2026-01-01", url="/")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=referrer, kind=NoticeKind.ACTION_OVERDUE, subject_key="action:1:overdue:2026-01-01", url="/")


def test_an_unknown_kind_is_refused(referrer):
    with pytest.raises(ValueError):
        notices.notify(kind="victim_moved", subject_key="x", users=[referrer], url="/")


# --- the email --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NoticeKind.values)
def test_every_kind_of_email_holds_fixed_text_and_the_sign_in_link_only(kind, settings):
    body = notices.render_notice(kind)
    urls = re.findall(r"https?://\S+", body)
    assert urls == [SIGN_IN_URL]
    # Nothing but the template's own words around the link: no value can have come in.
    template = (settings.BASE_DIR / "templates" / notices.NOTICES[NoticeKind(kind)].template).read_text()
    assert body.replace(SIGN_IN_URL, "") == template.replace("{{ sign_in_url }}", "")
    # Fixed text: the same whatever the context holds, with nothing in it that could be a value.
    assert "{" not in body and "None" not in body
    assert not re.search(r"[A-Z]{2,}-\d{4}-\d{4}", body)  # no case reference
    assert "Mitchell" not in body and "Sarah" not in body
    for word in ("address", "phone", "name"):
        assert word not in body.lower().replace("the people it is about", "")
    settings.MARAC_SITE_URL = "https://marac.example.org"
    assert notices.render_notice(kind) == body.replace("http://127.0.0.1:8000", "https://marac.example.org")


def test_every_kind_has_a_sentence_a_link_text_and_a_subject_that_name_no_one():
    assert set(notices.NOTICES) == set(NoticeKind.values)
    for notice in notices.NOTICES.values():
        for text in (notice.subject, notice.sentence, notice.link_text):
            assert text and "{" not in text and "%" not in text


def test_a_kind_turned_off_keeps_the_notification_and_sends_no_email(
    case_a, referrer, idva, coordinator, with_email, django_capture_on_commit_callbacks
):
    EmailOptOut.objects.create(user=referrer, kind=NoticeKind.MORE_INFO)
    referral = submitted(case_a, referrer=referrer, agency=idva)
    decide(referral, "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    assert Notification.objects.get(user=referrer).email == Notification.Email.OPTED_OUT
    assert mail.outbox == []
    services.referral_resubmit(referral=referral, by=referrer)
    decide(referral, "accepted", by=coordinator, capture=django_capture_on_commit_callbacks)  # another kind still emails
    assert [m.subject for m in mail.outbox] == [notices.NOTICES[NoticeKind.REFERRAL_DECIDED].subject]


def test_an_email_is_claimed_before_sending_so_a_second_run_sends_nothing(agency_rep, with_email):
    notification = Notification.objects.create(user=agency_rep, kind=NoticeKind.MINUTES_ISSUED, subject_key="meeting:3", url="/")
    notices.email_notification.apply(args=(notification.pk,))
    notices.email_notification.apply(args=(notification.pk,))
    assert len(mail.outbox) == 1
    assert AccessEvent.objects.filter(event="notice_emailed", user=agency_rep, purpose="minutes_issued").count() == 1


def test_no_address_is_recorded_and_nothing_sent(referrer):
    notification = Notification.objects.create(user=referrer, kind=NoticeKind.MINUTES_ISSUED, subject_key="meeting:3", url="/")
    notices.email_notification.apply(args=(notification.pk,))
    notification.refresh_from_db()
    assert notification.email == Notification.Email.NO_ADDRESS and mail.outbox == []


def test_a_failed_send_is_released_for_the_retry_then_recorded(agency_rep, with_email, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("connection refused by smtp.example.org for referrer@example.org")

    monkeypatch.setattr(notices, "send_mail", refuse)
    notification = Notification.objects.create(user=agency_rep, kind=NoticeKind.ACTION_OVERDUE, subject_key="action:1", url="/")
    with pytest.raises(Exception):  # noqa: B017  eager: the retry is raised to the caller
        notices.email_notification.apply(args=(notification.pk,), throw=True)
    notification.refresh_from_db()
    assert notification.email == Notification.Email.PENDING
    notices.email_notification.apply(args=(notification.pk,), retries=notices.EMAIL_RETRIES)
    notification.refresh_from_db()
    assert notification.email == Notification.Email.FAILED


def test_emails_the_broker_never_took_are_queued_again_later(agency_rep, with_email):
    old = Notification.objects.create(user=agency_rep, kind=NoticeKind.MINUTES_ISSUED, subject_key="meeting:3", url="/")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=notices.STALLED_MINUTES + 1))
    Notification.objects.create(user=agency_rep, kind=NoticeKind.AGENDA_ISSUED, subject_key="meeting:4", url="/")  # just made
    assert notices.email_stalled_notifications.apply().get() == 1
    assert len(mail.outbox) == 1
    assert notices.email_stalled_notifications.apply().get() == 0


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def test_a_request_for_more_information_goes_out_over_smtp_and_says_nothing_about_the_case(
    case_a, referrer, idva, coordinator, with_email, settings, django_capture_on_commit_callbacks
):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        decide(submitted(case_a, referrer=referrer, agency=idva), "more_info", by=coordinator, capture=django_capture_on_commit_callbacks)
    finally:
        controller.stop()
    [message] = inbox.messages
    whole = message.as_string() + message.get_content()
    assert message["To"] == "referrer@example.org" and SIGN_IN_URL in whole
    for secret in (case_a.reference, "Sarah", "Mitchell", "Belvoir", "Ashby", "07700", "new address", "/referrals/", "/cases/"):
        assert secret.lower() not in whole.lower()


# --- the pages ----------------------------------------------------------------------------------------


def test_the_list_shows_only_your_own_newest_first_without_any_case_detail(sign_in_fully, referrer, unrelated, case_a):
    Notification.objects.create(user=referrer, kind=NoticeKind.MORE_INFO, subject_key="referral:1:asked:1", url="/referrals/")
    Notification.objects.create(user=referrer, kind=NoticeKind.REFERRAL_DECIDED, subject_key="referral:1", url="/referrals/")
    Notification.objects.create(user=unrelated, kind=NoticeKind.ACTION_OVERDUE, subject_key="action:9", url="/meetings/actions/9/")
    html = sign_in_fully(referrer).get("/notifications/").content.decode()
    decided = html.index(notices.NOTICES[NoticeKind.REFERRAL_DECIDED].sentence)
    asked = html.index(notices.NOTICES[NoticeKind.MORE_INFO].sentence)
    assert decided < asked  # newest first
    assert notices.NOTICES[NoticeKind.ACTION_OVERDUE].sentence not in html
    assert html.count(">New</strong>") == 2 and "Mark all as read" in html
    assert case_a.reference not in html and "Notifications (2 new)" in html


def test_the_list_costs_the_same_queries_for_5_or_25_notifications(sign_in_fully, referrer, django_assert_max_num_queries):
    def make(first, count):
        Notification.objects.bulk_create(
            [
                Notification(user=referrer, kind=NoticeKind.ACTION_DUE, subject_key=f"action:{n}:due", url="/")
                for n in range(first, first + count)
            ]
        )

    client = sign_in_fully(referrer)
    make(0, 5)
    client.get("/notifications/")
    with django_assert_max_num_queries(12) as few:
        client.get("/notifications/")
    make(5, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/notifications/").content.decode().count(">New</strong>") == 25


def test_marking_one_as_read(sign_in_fully, referrer):
    mine = Notification.objects.create(user=referrer, kind=NoticeKind.MORE_INFO, subject_key="referral:1:asked:1", url="/referrals/")
    client = sign_in_fully(referrer)
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert ">New</strong>" not in client.get("/notifications/").content.decode()


def test_another_persons_notification_cannot_be_marked_read(sign_in_fully, referrer, unrelated):
    theirs = Notification.objects.create(user=unrelated, kind=NoticeKind.MORE_INFO, subject_key="referral:1:asked:1", url="/referrals/")
    client = sign_in_fully(referrer)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/notifications/999999/read/").status_code == 404  # the same answer as for none at all
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert AccessEvent.objects.filter(event="notification_access_denied", user=referrer, outcome="denied").count() == 2


def test_mark_all_as_read_marks_only_your_own(sign_in_fully, referrer, unrelated):
    for user in (referrer, unrelated):
        Notification.objects.create(user=user, kind=NoticeKind.MORE_INFO, subject_key="referral:1:asked:1", url="/referrals/")
    sign_in_fully(referrer).post("/notifications/read/")
    assert Notification.objects.get(user=referrer).read_at is not None
    assert Notification.objects.get(user=unrelated).read_at is None


def test_marking_read_is_post_only(sign_in_fully, referrer):
    mine = Notification.objects.create(user=referrer, kind=NoticeKind.MORE_INFO, subject_key="referral:1:asked:1", url="/referrals/")
    client = sign_in_fully(referrer)
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405
    assert client.get("/notifications/read/").status_code == 405


def test_the_list_is_paged_and_a_junk_page_number_is_not_an_error(sign_in_fully, referrer):
    Notification.objects.bulk_create(
        [Notification(user=referrer, kind=NoticeKind.ACTION_DUE, subject_key=f"action:{n}:due", url="/") for n in range(30)]
    )
    client = sign_in_fully(referrer)
    first = client.get("/notifications/").content.decode()
    assert "Showing 1 to 25 of 30 notifications" in first and 'rel="next"' in first
    for junk in ("2", "99", "x", "-1", "1" * 400):
        assert client.get("/notifications/", {"page": junk}).status_code == 200
    assert "<title>Notifications, page 2" in client.get("/notifications/", {"page": "2"}).content.decode()


def test_the_link_from_a_notification_goes_through_the_pages_own_access_checks(sign_in_fully, unrelated, case_a):
    # A notification pointing at a case's page the person cannot see: the page refuses them as usual.
    Notification.objects.create(user=unrelated, kind=NoticeKind.MORE_INFO, subject_key="x", url=f"/cases/{case_a.reference}/")
    client = sign_in_fully(unrelated)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404


def test_turning_an_email_off_and_on_again(sign_in_fully, referrer):
    client = sign_in_fully(referrer)
    page = client.get("/account/email-notifications/").content.decode()
    assert page.count('type="checkbox"') == len(NoticeKind.values) and page.count("checked") == len(NoticeKind.values)
    wanted = [k for k in NoticeKind.values if k != NoticeKind.MORE_INFO]
    assert client.post("/account/email-notifications/", {"wanted": wanted}).status_code == 302
    assert list(EmailOptOut.objects.filter(user=referrer).values_list("kind", flat=True)) == [NoticeKind.MORE_INFO]
    assert AccessEvent.objects.filter(event="email_preferences_changed", purpose="off: more_info").exists()
    client.post("/account/email-notifications/", {"wanted": NoticeKind.values})
    assert not EmailOptOut.objects.filter(user=referrer).exists()


def test_a_made_up_kind_is_a_clear_error_and_changes_nothing(sign_in_fully, referrer):
    response = sign_in_fully(referrer).post("/account/email-notifications/", {"wanted": ["more_info", "<script>x</script>"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and "<script>x</script>" not in html
    assert not EmailOptOut.objects.exists()


def test_the_account_page_links_to_email_choices(sign_in_fully, referrer):
    assert "/account/email-notifications/" in sign_in_fully(referrer).get("/account/").content.decode()


RACING_REMINDERS = """
import threading, django
django.setup()
from django.db import connection, transaction
from marac.models import Agency, AgencyKind, MaracArea, NoticeKind, Notification, Role
from marac.notices import notify
from tests.conftest import make_person

area = MaracArea.objects.create(name="A", short_code="AAA")
agency = Agency.objects.create(name="Police", kind=AgencyKind.POLICE)
people = [make_person(f"rep{n}", Role.AGENCY_REP, agency, area) for n in range(4)]
start = threading.Barrier(6)

def run_the_reminder():
    start.wait()
    try:
        with transaction.atomic():
            notify(kind=NoticeKind.ACTION_OVERDUE, subject_key="action:1:overdue:2026-12-01", users=people, url="/meetings/actions/1/")
    finally:
        connection.close()

threads = [threading.Thread(target=run_the_reminder) for _ in range(6)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(Notification.objects.count())
"""


@pytest.mark.django_db
def test_six_workers_racing_on_one_reminder_make_one_notification_each():
    from django.db import connection

    from tests.scratch_db import python_in_scratch_postgres

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    assert python_in_scratch_postgres(RACING_REMINDERS).split()[-1] == "4"
