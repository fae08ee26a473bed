"""The "your meeting pack is ready" email, sent through a real SMTP server on localhost (aiosmtpd),
on the demo's data: it reaches the person and carries nothing about the meeting or the people in
it — no name, case reference, address, phone, venue or date, and no text typed about a case."""

import email
import io
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from marac.models import User
from meetings import services as meetings
from meetings import tasks
from meetings.models import Meeting, StoredPack
from referrals.models import Case, HouseholdMember, Perpetrator
from tests.processes import free_port


class Inbox:
    """An aiosmtpd handler keeping every message as received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture
def demo(db, monkeypatch):
    """The demo's people and cases; packs "rendered" as their HTML so no PDF is needed here."""
    monkeypatch.setattr("meetings.packs.render_pdf", lambda html, **limits: b"%PDF-stand-in\n" + html.encode())
    call_command("seed_demo", stdout=io.StringIO())
    for user in User.objects.all():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def everything_about_the_cases() -> list[str]:
    """Every value a notice must never carry, read from the demo's records."""
    values = []
    for case in Case.objects.select_related("data_key").exclude(status=Case.Status.SHREDDED):
        values.append(case.reference)
        victim = case.victim
        values += [victim.name, victim.address, victim.phone, victim.safe_address, victim.safe_phone, victim.email]
        values += [p.name for p in Perpetrator.objects.filter(case=case).select_related("case__data_key")]
        values += [m.name for m in HouseholdMember.objects.filter(case=case).select_related("case__data_key")]
    for meeting in Meeting.objects.select_related("area"):
        values += [meeting.venue, meeting.area.name, f"{meeting.starts_at:%d %B}", f"{meeting.starts_at:%-d %B}"]
    values += [f"{u.first_name} {u.last_name}" for u in User.objects.exclude(first_name="")]
    return [value for value in values if value and len(value) > 3]


def test_the_pack_ready_email_goes_out_over_smtp_and_says_nothing_about_the_meeting(demo, smtp, django_capture_on_commit_callbacks):
    meeting = Meeting.objects.get(status=Meeting.Status.AGENDA_ISSUED)
    rep = User.objects.get(username="agency_rep")
    agency = rep.memberships.get().agency
    with django_capture_on_commit_callbacks(execute=True):  # the web request commits; the worker's tasks run
        meetings.confidentiality_accept(meeting=meeting, user=rep, agency=agency)
    # The seed rendered the coordinator's and chair's packs itself, without email: announce them too.
    for row in StoredPack.objects.filter(kind="pack", status=StoredPack.Status.READY, email=StoredPack.Email.NOT_SENT):
        tasks.email_pack_ready.apply(args=(row.pk,))

    received = {message["To"]: message for message in smtp.messages}
    assert set(received) == {"agency_rep@example.org", "coordinator@example.org", "chair@example.org"}
    assert len(smtp.messages) == 3
    secrets = everything_about_the_cases()
    assert any("Mitchell" in value or "Foster" in value for value in secrets), "the check must know the demo's victims"
    for message in smtp.messages:
        whole = message.as_string() + message.get_content()
        assert "http://127.0.0.1:8000/sign-in/" in whole
        assert message["Subject"] == "A MARAC meeting pack is ready for you"
        leaked = [value for value in secrets if value.lower() in whole.lower()]
        assert not leaked, f"{message['To']} was sent {leaked}"
        assert f"/meetings/{meeting.pk}" not in whole
