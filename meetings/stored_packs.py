"""Meeting PDFs ready before anyone asks (docs/adr/0017).

When an agenda or minutes are issued, or anything they show changes, `refresh` works out which
PDFs each recipient should have and queues a render for every one that is missing or no longer
says what the records say. Workers render them (`render`) and keep them sealed at rest
(marac/security/documents.py): under the keyring and the data key of every case they hold, so
erasing a case makes every stored PDF holding it unreadable, and `forget_case` deletes them too.

A download builds the person's pack as HTML (cheap: no PDF) and serves the stored PDF only if its
fingerprint is the one that HTML gives now; otherwise it renders in the request, as before, and
keeps the result. So a stored PDF is never served with content older than the records, however a
change reached them, and the events that queue refreshes only decide how soon a pack is ready.

Prepared for: the meeting's coordinator and chair, and every representative who has accepted the
confidentiality statement (nobody else can see its cases). The agenda and pack until the minutes
are issued; then the minutes and the action extract.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

import audit
from marac.models import User
from marac.security.crypto import IntegrityFailure
from marac.security.documents import Sealed, seal, unseal
from marac.viewer import Viewer
from meetings.access import MeetingAccess, meeting_access_for
from meetings.models import Meeting, StoredPack
from meetings.packs import Pack, may_have, pack_for
from referrals.models import Case

logger = logging.getLogger("meetings.packs")

S = Meeting.Status


# A render queued this long ago and still not done was lost (a worker killed, a message dropped):
# the next refresh queues it again. Longer than a task may run (CELERY_TASK_TIME_LIMIT).
STUCK_AFTER = timedelta(minutes=30)


def kinds_prepared(meeting: Meeting) -> tuple[str, ...]:
    """What is kept ready for this meeting now: nothing before its agenda is out or once its
    packs' keep-until date has passed."""
    if meeting.status == S.SCHEDULED or keep_until(meeting) <= timezone.now():
        return ()
    if meeting.minutes_locked:
        return ("minutes", "actions")
    return ("agenda", "pack")


def recipients(meeting: Meeting) -> list[User]:
    """Who packs are prepared for: the meeting's coordinator and chair, and each representative who
    has accepted its confidentiality statement. Others who may download render theirs on demand."""
    ids = {meeting.coordinator_id, meeting.chair_id, *meeting.attendances.values_list("user_id", flat=True)}
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


# --- Working out what should be stored ----------------------------------------------------------


def refresh(meeting_id: int) -> list[int]:
    """Bring the meeting's stored packs in line with the records: rows for packs nobody should
    have any more are deleted, rows whose content changed are queued. Returns the ids to render."""
    with transaction.atomic():
        # One refresh of a meeting at a time (PostgreSQL; SQLite serialises writers anyway).
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related("area").filter(pk=meeting_id).first()
        if meeting is None:
            return []
        wanted = _packs_wanted(meeting)
        existing = {(row.recipient_id, row.kind): row for row in meeting.stored_packs.all()}
        StoredPack.objects.filter(pk__in=[row.pk for key, row in existing.items() if key not in wanted]).delete()
        queued = []
        for (recipient_id, kind), pack in wanted.items():
            row = existing.get((recipient_id, kind))
            if row is not None and row.fingerprint == pack.fingerprint and not _stuck(row):
                continue  # current, or already queued for this content (or failed on it: retried by hand)
            queued.append(_queued(row, meeting, recipient_id, kind, pack.fingerprint).pk)
    return queued


def _packs_wanted(meeting: Meeting) -> dict[tuple[int, str], Pack]:
    wanted = {}
    for user in recipients(meeting):
        access = meeting_access_for(Viewer.of(user), meeting.pk)
        for kind in kinds_prepared(meeting):
            if access is not None and may_have(access, kind):
                wanted[(user.pk, kind)] = pack_for(access, kind)
    return wanted


def _queued(row: StoredPack | None, meeting: Meeting, recipient_id: int, kind: str, fingerprint: str) -> StoredPack:
    """The row, emptied and marked queued for this content (its email status is kept: one email per
    pack, not one per change)."""
    row = row or StoredPack(meeting=meeting, recipient_id=recipient_id, kind=kind)
    row.fingerprint = fingerprint
    row.status = StoredPack.Status.QUEUED
    row.failure = ""
    row.kek_id, row.wrapped_key, row.sealed_pdf = "", None, None
    row.queued_at = timezone.now()
    row.ready_at = None
    row.keep_until = keep_until(meeting)
    row.save()
    return row


def _stuck(row: StoredPack) -> bool:
    return row.status == StoredPack.Status.QUEUED and row.queued_at < timezone.now() - STUCK_AFTER


def keep_until(meeting: Meeting) -> datetime:
    """Packs are kept until MARAC_STORED_PACK_DAYS after the meeting (after its minutes were issued,
    for the minutes and action extract); later downloads render on request."""
    return (meeting.minutes_issued_at or meeting.starts_at) + timedelta(days=settings.MARAC_STORED_PACK_DAYS)


@transaction.atomic
def retry_failed(meeting: Meeting) -> list[int]:
    """The coordinator's "try again": every failed pack of the meeting queued again."""
    failed = list(meeting.stored_packs.filter(status=StoredPack.Status.FAILED))
    for row in failed:
        _queued(row, meeting, row.recipient_id, row.kind, row.fingerprint)
    return [row.pk for row in failed]


# --- Rendering on a worker ---------------------------------------------------------------------


def pack_to_render(pack_id: int) -> tuple[StoredPack, MeetingAccess, Pack] | None:
    """The row and its pack as the records give it now, or None when there is nothing to do: the
    row is gone, already holds this content, or its recipient may no longer have it (deleted)."""
    row = StoredPack.objects.select_related("meeting__area", "recipient").filter(pk=pack_id).first()
    if row is None:
        return None
    access = _recipient_access(row)
    if access is None:
        row.delete()
        return None
    pack = pack_for(access, row.kind)
    if row.status == StoredPack.Status.READY and row.fingerprint == pack.fingerprint:
        return None
    return row, access, pack


def _recipient_access(row: StoredPack) -> MeetingAccess | None:
    access = meeting_access_for(Viewer.of(row.recipient), row.meeting_id) if row.recipient.is_active else None
    if access is None or not may_have(access, row.kind) or row.kind not in kinds_prepared(access.meeting):
        return None
    return access


def render(pack_id: int) -> StoredPack | None:
    """Render one queued pack and keep it. PdfRenderError goes to the caller (the task retries)."""
    found = pack_to_render(pack_id)
    if found is None:
        return None
    row, access, pack = found
    kept = keep(access, row.kind, pack, pack.pdf())
    if kept is not None:
        audit.record(event="pack_prepared", purpose=f"{row.kind} of meeting {row.meeting_id} for user {row.recipient_id}")
    return kept


def failed(pack_id: int, message: str) -> None:
    """A pack that kept failing: shown to the coordinator on the meeting page, with a retry."""
    StoredPack.objects.filter(pk=pack_id, status=StoredPack.Status.QUEUED).update(status=StoredPack.Status.FAILED, failure=message[:300])
    logger.warning("stored_pack_failed pack=%s", pack_id)


def keep(access: MeetingAccess, kind: str, pack: Pack, pdf: bytes) -> StoredPack | None:
    """Seal and store a rendered PDF as the person's current one, if it still says what the records
    say (they may have changed while it rendered: a newer render is then queued, or the download
    renders again) and no case it holds has been erased meanwhile. The lock on the cases orders
    this with erasure, which deletes what was stored before it."""
    meeting, recipient = access.meeting, access.viewer.user
    if keep_until(meeting) <= timezone.now():
        return None
    with transaction.atomic():
        cases = list(Case.objects.select_for_update().select_related("data_key").filter(pk__in=pack.case_ids).order_by("pk"))
        if any(case.is_shredded for case in cases) or pack_for(access, kind).fingerprint != pack.fingerprint:
            return None
        row = StoredPack.objects.select_for_update().filter(meeting=meeting, recipient=recipient, kind=kind).first()
        row = row or StoredPack(meeting=meeting, recipient=recipient, kind=kind, queued_at=timezone.now())
        row.fingerprint = pack.fingerprint
        sealed = seal(pdf, data_keys=[case.data_key for case in cases], context=_context(row))
        row.kek_id, row.wrapped_key, row.sealed_pdf = sealed.kek_id, sealed.wrapped_key, sealed.ciphertext
        row.status, row.failure, row.ready_at = StoredPack.Status.READY, "", timezone.now()
        row.keep_until = keep_until(meeting)
        row.save()
        row.cases.set(cases)
    return row


def _context(row: StoredPack) -> str:
    """Binds a sealed PDF to its row, its meeting, recipient and kind, and to what it says."""
    return f"stored-pack|{row.uuid}|{row.meeting_id}|{row.recipient_id}|{row.kind}|{row.fingerprint}"


# --- Serving a download ------------------------------------------------------------------------


def stored_pdf(access: MeetingAccess, kind: str, pack: Pack) -> bytes | None:
    """The person's stored PDF if it says exactly what `pack` says now and is still kept, else None."""
    row = (
        StoredPack.objects.filter(
            meeting=access.meeting,
            recipient=access.viewer.user,
            kind=kind,
            status=StoredPack.Status.READY,
            fingerprint=pack.fingerprint,
            keep_until__gt=timezone.now(),
        )
        .exclude(sealed_pdf=None)
        .first()
    )
    if row is None:
        return None
    data_keys = [case.data_key for case in row.cases.select_related("data_key")]
    try:
        return unseal(
            Sealed(kek_id=row.kek_id, wrapped_key=bytes(row.wrapped_key or b""), ciphertext=bytes(row.sealed_pdf or b"")),
            data_keys=data_keys,
            context=_context(row),
        )
    except IntegrityFailure:
        # A case erased, a retired key or a tampered row: not served, rendered afresh instead.
        logger.warning("stored_pack_unreadable pack=%s", row.pk)
        row.delete()
        return None


# --- What the coordinator sees -----------------------------------------------------------------


@dataclass
class Progress:
    ready: int
    total: int
    failed: list[StoredPack]
    email_failed: list[StoredPack]

    @property
    def preparing(self) -> bool:
        return self.ready < self.total


def progress(meeting: Meeting) -> Progress:
    counts = meeting.stored_packs.aggregate(total=Count("pk"), ready=Count("pk", filter=Q(status=StoredPack.Status.READY)))
    problems = list(
        meeting.stored_packs.filter(Q(status=StoredPack.Status.FAILED) | Q(email=StoredPack.Email.FAILED))
        .select_related("recipient")
        .order_by("recipient__last_name", "kind")
    )
    return Progress(
        ready=counts["ready"],
        total=counts["total"],
        failed=[row for row in problems if row.status == StoredPack.Status.FAILED],
        email_failed=[row for row in problems if row.email == StoredPack.Email.FAILED],
    )


# --- Housekeeping ------------------------------------------------------------------------------


def forget_case(case_id: int) -> int:
    """Delete every stored PDF holding a case (on its erasure); they are unreadable already."""
    deleted, _ = StoredPack.objects.filter(cases__pk=case_id).delete()
    return deleted


def remove_expired() -> int:
    """Stored packs past their keep-until date, or of meetings that need none now, are deleted.
    (A refresh deletes them too: kinds_prepared is empty once the date has passed.)"""
    expired = Q(keep_until__lte=timezone.now()) | Q(meeting__status__in=(S.SCHEDULED, S.CLOSED))
    deleted, _ = StoredPack.objects.filter(expired).delete()
    return deleted


def meetings_to_refresh() -> list[int]:
    """Meetings whose packs are worth keeping ready: agenda or minutes issued and not closed."""
    return list(Meeting.objects.exclude(status__in=(S.SCHEDULED, S.CLOSED)).values_list("pk", flat=True))
