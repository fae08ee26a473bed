"""Packs ready before anyone asks (meetings/stored_packs.py, docs/adr/0017): rendered per
recipient when the agenda is issued or what it shows changes, sealed at rest, served only while
they say what the records say, deleted and unreadable when a case they hold is erased, and
followed by the coordinator on the meeting page.

Most tests render with a stand-in that returns the HTML behind a PDF header, so what a "PDF" says
can be read back; real PDFs are rendered by test_packs.py and the worker and production runs."""

import time
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from audit.models import AccessEvent
from marac.pdf import PdfRenderError
from marac.reauth import REAUTHENTICATED_AT
from marac.security.crypto import IntegrityFailure
from marac.security.datakeys import DataKeyShredded
from marac.security.documents import Sealed, unseal
from meetings import services as meetings
from meetings import stored_packs, tasks
from meetings.models import StoredPack
from referrals.models import Case
from referrals.services import case_shred, victim_update


@pytest.fixture
def renders(monkeypatch):
    """Every render, as the HTML it was given; the "PDF" is that HTML behind a PDF header."""
    done = []

    def render(html, **limits):
        done.append(html)
        return b"%PDF-stand-in\n" + html.encode()

    monkeypatch.setattr("meetings.packs.render_pdf", render)
    return done


@pytest.fixture
def prepared(rep_accepted, renders, django_capture_on_commit_callbacks):
    """The agenda issued and the representative in: every recipient's packs prepared by the tasks."""
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_packs(rep_accepted.pk)
    return rep_accepted


def ready(meeting) -> dict[tuple[str, str], StoredPack]:
    rows = StoredPack.objects.filter(meeting=meeting, status=StoredPack.Status.READY).select_related("recipient")
    return {(row.recipient.username, row.kind): row for row in rows}


def download(client, user, meeting, kind="pack"):
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()
    session.save()
    return client.get(f"/meetings/{meeting.pk}/documents/{kind}.pdf")


def test_issuing_the_agenda_prepares_each_recipients_agenda_and_pack(listed, coordinator, renders, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meetings.agenda_issue(meeting=listed, by=coordinator)
    assert set(ready(listed)) == {("coordinator", "agenda"), ("coordinator", "pack"), ("chair", "agenda"), ("chair", "pack")}
    assert all(b"Sarah Mitchell" in html.encode() for html in renders)


def test_accepting_the_statement_prepares_the_representatives_packs(
    issued, agency_rep, childrens_services, renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meetings.confidentiality_accept(meeting=issued, user=agency_rep, agency=childrens_services)
    assert {("agency_rep", "agenda"), ("agency_rep", "pack")} <= set(ready(issued))


def test_a_stored_pack_is_sealed_at_rest(prepared):
    row = ready(prepared)[("agency_rep", "pack")]
    stored = bytes(row.sealed_pdf)
    assert b"%PDF" not in stored and b"Sarah Mitchell" not in stored and b"Mitchell" not in stored
    assert row.cases.count() == 2


def test_a_download_serves_the_stored_pack_without_rendering_and_is_logged_as_the_persons(
    prepared, agency_rep, sign_in_fully, client, renders
):
    sign_in_fully(agency_rep)
    before = len(renders)
    response = download(client, agency_rep, prepared)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-stand-in")
    assert b"Sarah Mitchell" in response.content and b"agency_rep" in response.content
    assert len(renders) == before, "a ready pack is served as stored, not rendered again"
    event = AccessEvent.objects.get(event="pdf_download", user=agency_rep)
    assert "prepared in advance" in event.purpose
    assert AccessEvent.objects.filter(event="case_read", user=agency_rep, purpose__startswith="pdf pack").count() == 2


def test_a_stored_pack_still_needs_a_fresh_security_code(prepared, agency_rep, client):
    from tests.conftest import sign_in_with_both_factors

    sign_in_with_both_factors(client, agency_rep)
    response = client.get(f"/meetings/{prepared.pk}/documents/pack.pdf")
    assert response.status_code == 302 and response.url.startswith("/account/confirm/")
    assert not AccessEvent.objects.filter(event="pdf_download").exists()


def test_returned_research_means_the_earlier_pack_is_not_served(
    prepared, agency_rep, case_a, childrens_services, sign_in_fully, client, renders
):
    # No on-commit work runs here: no refresh, no worker. The download must notice by itself.
    meetings.research_save(
        meeting=prepared,
        case=case_a,
        agency=childrens_services,
        facts="Returned after the pack was prepared",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=0,
    )
    sign_in_fully(agency_rep)
    response = download(client, agency_rep, prepared)
    assert b"Returned after the pack was prepared" in response.content
    assert "rendered on request" in AccessEvent.objects.get(event="pdf_download", user=agency_rep).purpose
    # and what the request rendered is kept: the next download is served from the store
    before = len(renders)
    again = download(client, agency_rep, prepared)
    assert b"Returned after the pack was prepared" in again.content and len(renders) == before


def test_a_victims_edited_details_re_prepare_the_packs_listing_them(
    prepared, case_a, coordinator, renders, django_capture_on_commit_callbacks
):
    victim = case_a.victim
    old = ready(prepared)[("coordinator", "pack")].fingerprint
    with django_capture_on_commit_callbacks(execute=True):
        victim_update(victim=victim, changes={"address": "2 New Road"}, expected_version=victim.row_version, by=coordinator)
    row = ready(prepared)[("coordinator", "pack")]
    assert row.fingerprint != old
    assert "2 New Road" in renders[-1] or any("2 New Road" in html for html in renders)


def opened(row: StoredPack, data_keys) -> bytes:
    """A stored row (or a copy of it) opened with these cases' data keys."""
    sealed = Sealed(row.kek_id, bytes(row.wrapped_key), bytes(row.sealed_pdf))
    return unseal(sealed, data_keys=data_keys, context=stored_packs._context(row))


def test_erasing_a_case_deletes_every_stored_pack_holding_it_and_a_surviving_copy_cannot_be_opened(prepared, case_a, case_b):
    copy = StoredPack.objects.get(meeting=prepared, recipient__username="agency_rep", kind="pack")  # a backup's copy
    keys = {case.pk: case.data_key for case in Case.objects.select_related("data_key").filter(pk__in=(case_a.pk, case_b.pk))}
    assert b"Sarah Mitchell" in opened(copy, keys.values())  # it opens with the keyring and both cases' keys
    with pytest.raises(IntegrityFailure):
        opened(copy, [keys[case_b.pk]])  # and not without case A's: its key is part of the seal

    case_shred(case=case_a, by=None)
    assert not StoredPack.objects.filter(meeting=prepared).exists()  # every pack of this meeting held case A
    erased = Case.objects.select_related("data_key").get(pk=case_a.pk).data_key
    with pytest.raises(DataKeyShredded):
        opened(copy, [erased, keys[case_b.pk]])


def test_a_sealed_pack_moved_to_another_row_does_not_open(prepared):
    first, second = list(ready(prepared).values())[:2]
    keys = [case.data_key for case in first.cases.select_related("data_key")]
    assert opened(first, keys)
    first.uuid, first.recipient_id, first.kind = second.uuid, second.recipient_id, second.kind  # relabelled as another's
    with pytest.raises(IntegrityFailure):
        opened(first, keys)


def test_a_pack_for_a_case_erased_while_it_rendered_is_not_stored(rep_accepted, case_a, monkeypatch):
    pack_id = stored_packs.refresh(rep_accepted.pk)[0]
    calls = []

    def render_then_erase(html, **limits):
        calls.append(html)
        case_shred(case=case_a, by=None)  # erasure lands while the worker renders
        return b"%PDF-stand-in\n" + html.encode()

    monkeypatch.setattr("meetings.packs.render_pdf", render_then_erase)
    assert stored_packs.render(pack_id) is None
    assert calls and Case.objects.get(pk=case_a.pk).is_shredded
    assert not StoredPack.objects.filter(sealed_pdf__isnull=False).exists()


def test_a_render_outdated_by_a_change_while_it_ran_is_not_kept(
    prepared, agency_rep, case_a, childrens_services, sign_in_fully, client, monkeypatch
):
    StoredPack.objects.filter(meeting=prepared, recipient=agency_rep).delete()

    def render_while_research_returns(html, **limits):
        if "Returned during the render" not in html:
            meetings.research_save(
                meeting=prepared,
                case=case_a,
                agency=childrens_services,
                facts="Returned during the render",
                opinion="",
                not_shared="",
                by=agency_rep,
                expected_version=0,
            )
        return b"%PDF-stand-in\n" + html.encode()

    monkeypatch.setattr("meetings.packs.render_pdf", render_while_research_returns)
    sign_in_fully(agency_rep)
    first = download(client, agency_rep, prepared)
    assert b"Returned during the render" not in first.content  # what it was asked for, when it was asked
    assert not StoredPack.objects.filter(meeting=prepared, recipient=agency_rep, kind="pack").exists(), "not kept: out of date"
    assert b"Returned during the render" in download(client, agency_rep, prepared).content


def test_a_withdrawn_agencys_representative_loses_their_stored_packs(
    prepared, coordinator, police, idva, django_capture_on_commit_callbacks
):
    invited = set(prepared.invited_agencies.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        meetings.meeting_invitations_change(meeting=prepared, agencies=[police, idva], by=coordinator, expected_version=invited)
    assert not StoredPack.objects.filter(meeting=prepared, recipient__username="agency_rep").exists()


def test_the_coordinator_sees_progress_and_failures_and_can_retry(prepared, coordinator, sign_in_fully, client, monkeypatch):
    sign_in_fully(coordinator)
    page = client.get(f"/meetings/{prepared.pk}/").content.decode()
    assert 'id="pack-progress"' in page and "6 of 6 packs ready" in page

    def refuse(html, **limits):
        raise PdfRenderError("The PDF needed more memory than allowed (1536 MB) and was stopped.")

    monkeypatch.setattr("meetings.packs.render_pdf", refuse)
    row = ready(prepared)[("chair", "pack")]
    stored_packs._queued(row, prepared, row.recipient_id, row.kind, "something newer")
    tasks.render_pack.apply(args=(row.pk,), retries=tasks.RENDER_RETRIES)  # its last try
    page = client.get(f"/meetings/{prepared.pk}/").content.decode()
    assert "5 of 6 packs ready" in page and "could not be prepared" in page and "needed more memory" in page
    monkeypatch.setattr("meetings.packs.render_pdf", lambda html, **limits: b"%PDF-stand-in\n" + html.encode())
    response = client.post(f"/meetings/{prepared.pk}/documents/retry/")
    assert response.status_code == 302
    assert "6 of 6 packs ready" in client.get(f"/meetings/{prepared.pk}/").content.decode()
    assert AccessEvent.objects.filter(event="packs_retried", user=coordinator).exists()


def test_a_failing_render_is_retried_with_backoff_before_it_is_marked_failed(prepared, monkeypatch):
    row = ready(prepared)[("chair", "pack")]
    stored_packs._queued(row, prepared, row.recipient_id, row.kind, "something newer")
    monkeypatch.setattr("meetings.packs.render_pdf", lambda html, **limits: (_ for _ in ()).throw(PdfRenderError("busy")))
    for attempt in range(tasks.RENDER_RETRIES):
        with pytest.raises(Retry) as retry:
            tasks.render_pack.apply(args=(row.pk,), retries=attempt)
        assert retry.value.when == tasks.BACKOFF_SECONDS * 2**attempt  # 30 s, 60 s, 120 s
    row.refresh_from_db()
    assert row.status == StoredPack.Status.QUEUED
    tasks.render_pack.apply(args=(row.pk,), retries=tasks.RENDER_RETRIES)
    row.refresh_from_db()
    assert row.status == StoredPack.Status.FAILED and row.failure == "busy"


def test_only_the_coordinator_sees_pack_progress(prepared, agency_rep, sign_in_fully, client):
    sign_in_fully(agency_rep)
    page = client.get(f"/meetings/{prepared.pk}/").content.decode()
    assert "pack-progress" not in page
    assert client.post(f"/meetings/{prepared.pk}/documents/retry/").status_code == 403


def test_rendering_twice_renders_once(prepared, renders):
    row = ready(prepared)[("coordinator", "pack")]
    before = len(renders)
    tasks.render_pack.apply(args=(row.pk,))
    tasks.refresh_packs.apply(args=(prepared.pk,))
    assert len(renders) == before


@pytest.fixture
def with_email(agency_rep, chair):
    """The representative and chair have email addresses; the coordinator has none."""
    for person in (agency_rep, chair):
        person.email = f"{person.username}@example.org"
        person.save(update_fields=["email"])


def test_the_pack_ready_email_is_sent_once_per_person_and_pack(with_email, prepared, agency_rep, renders):
    assert sorted(tuple(message.to) for message in mail.outbox) == [("agency_rep@example.org",), ("chair@example.org",)]
    rows = ready(prepared)
    assert rows[("agency_rep", "pack")].email == StoredPack.Email.SENT
    assert rows[("coordinator", "pack")].email == StoredPack.Email.NO_ADDRESS
    assert rows[("agency_rep", "agenda")].email == StoredPack.Email.NOT_SENT  # one kind only: the pack
    row = rows[("agency_rep", "pack")]
    stored_packs._queued(row, prepared, row.recipient_id, row.kind, "changed")
    tasks.render_pack.apply(args=(row.pk,))
    assert len(mail.outbox) == 2, "a re-rendered pack is not announced again"
    assert AccessEvent.objects.filter(event="notice_emailed", user=agency_rep, purpose="pack_ready").count() == 1


def test_an_email_that_cannot_be_sent_is_retried_then_shown_to_the_coordinator(with_email, rep_accepted, renders, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("marac.notices.send_mail", refuse)
    for pack_id in stored_packs.refresh(rep_accepted.pk):
        stored_packs.render(pack_id)
    row = ready(rep_accepted)[("agency_rep", "pack")]
    with pytest.raises(Retry):
        tasks.email_pack_ready.apply(args=(row.pk,))
    row.refresh_from_db()
    assert row.email == StoredPack.Email.NOT_SENT  # released for the retry
    tasks.email_pack_ready.apply(args=(row.pk,), retries=tasks.EMAIL_RETRIES)
    row.refresh_from_db()
    assert row.email == StoredPack.Email.FAILED
    assert [r.recipient.username for r in stored_packs.progress(rep_accepted).email_failed] == ["agency_rep"]


def test_packs_are_removed_after_their_keep_until_date_and_not_made_again(prepared, renders, settings):
    later = prepared.starts_at + timedelta(days=settings.MARAC_STORED_PACK_DAYS, minutes=1)
    with time_machine.travel(later):
        tasks.tidy_stored_packs.apply()
        assert not StoredPack.objects.filter(meeting=prepared).exists()
        assert stored_packs.refresh(prepared.pk) == []


def test_a_render_that_was_lost_is_queued_again_by_the_next_refresh(prepared, renders):
    row = ready(prepared)[("chair", "pack")]
    stored_packs._queued(row, prepared, row.recipient_id, row.kind, row.fingerprint)  # queued; its message never arrives
    assert stored_packs.refresh(prepared.pk) == []  # still in the queue, as far as anyone knows
    StoredPack.objects.filter(pk=row.pk).update(queued_at=timezone.now() - stored_packs.STUCK_AFTER - timedelta(seconds=1))
    assert stored_packs.refresh(prepared.pk) == [row.pk]


def test_an_expired_pack_is_not_served(prepared, agency_rep, sign_in_fully, client, renders):
    StoredPack.objects.filter(meeting=prepared).update(keep_until=timezone.now())
    sign_in_fully(agency_rep)
    before = len(renders)
    download(client, agency_rep, prepared)
    assert len(renders) == before + 1
