"""Background work for meetings: keeping each recipient's PDFs ready (stored_packs.py) and
telling them by a content-free email when their meeting pack is.

Every task takes ids, is safe to run twice, and leaves what went wrong where the coordinator sees
it (the meeting page) once its retries are used up.
"""

import logging

from django.urls import reverse
from django.utils import timezone

from marac.background import queue_after_commit, queue_now
from marac.celery import app
from marac.models import NoticeKind
from marac.notices import SENT, notify_in_app, send_notice
from marac.pdf import PdfRenderError
from meetings import reminders, stored_packs
from meetings.models import StoredPack

logger = logging.getLogger("meetings.tasks")

RENDER_RETRIES = 3
EMAIL_RETRIES = 4
BACKOFF_SECONDS = 30
COULD_NOT_PREPARE = "The pack could not be prepared. Try again; if it happens again, tell your system administrator."


def packs_changed(meeting_id: int) -> None:
    """Something a meeting's PDFs show changed: refresh them once this transaction commits."""
    queue_after_commit(refresh_packs, meeting_id)


@app.task
def refresh_packs(meeting_id: int) -> None:
    """Work out which of the meeting's packs changed and queue each one's render."""
    for pack_id in stored_packs.refresh(meeting_id):
        queue_now(render_pack, pack_id)


@app.task(bind=True, max_retries=RENDER_RETRIES)
def render_pack(self, pack_id: int) -> None:
    try:
        kept = stored_packs.render(pack_id)
    except Exception as error:  # whatever it is, the coordinator must end up seeing it
        logger.warning("render_pack_failed pack=%s error=%s try=%d", pack_id, type(error).__name__, self.request.retries)
        if self.request.retries >= RENDER_RETRIES:
            # A PdfRenderError's message is written to be shown; any other could quote anything.
            stored_packs.failed(pack_id, str(error) if isinstance(error, PdfRenderError) else COULD_NOT_PREPARE)
            return
        raise self.retry(countdown=BACKOFF_SECONDS * 2**self.request.retries) from None
    if kept is not None and kept.kind == "pack" and kept.email == StoredPack.Email.NOT_SENT:
        queue_now(email_pack_ready, kept.pk)


@app.task(bind=True, max_retries=EMAIL_RETRIES)
def email_pack_ready(self, pack_id: int) -> None:
    """One email per person per meeting pack, however often the pack is re-rendered. Claimed
    before sending, so two runs of this task cannot both send it."""
    if not StoredPack.objects.filter(pk=pack_id, email=StoredPack.Email.NOT_SENT).update(email=StoredPack.Email.SENT):
        return
    row = StoredPack.objects.select_related("recipient").get(pk=pack_id)
    url = reverse("meeting-detail", args=[row.meeting_id])
    notify_in_app(kind=NoticeKind.PACK_READY, subject_key=f"meeting:{row.meeting_id}", user=row.recipient, url=url)
    try:
        outcome = send_notice(row.recipient, NoticeKind.PACK_READY)
    except Exception as error:  # SMTP refused, unreachable, or anything else: the claim is released
        last_try = self.request.retries >= EMAIL_RETRIES
        StoredPack.objects.filter(pk=pack_id).update(email=StoredPack.Email.FAILED if last_try else StoredPack.Email.NOT_SENT)
        logger.warning("notice_not_sent pack=%s error=%s last_try=%s", pack_id, type(error).__name__, last_try)
        if last_try:
            return
        raise self.retry(countdown=BACKOFF_SECONDS * 2**self.request.retries) from None
    if outcome != SENT:  # no address, or the person turned pack emails off: nothing to send either way
        StoredPack.objects.filter(pk=pack_id).update(email=StoredPack.Email.NO_ADDRESS)


@app.task
def tidy_stored_packs() -> None:
    """Hourly (marac/schedules.py): expired packs removed, every live meeting's packs checked."""
    removed = stored_packs.remove_expired()
    meetings = stored_packs.meetings_to_refresh()
    logger.info("stored_packs_tidied removed=%d meetings=%d", removed, len(meetings))
    for meeting_id in meetings:
        queue_now(refresh_packs, meeting_id)


@app.task
def send_reminders() -> None:
    """Hourly in the working day (marac/schedules.py): research due, actions due in 3 days and
    actions overdue. Each reminder goes once however often this runs (meetings/reminders.py)."""
    today = timezone.localdate()
    meetings = reminders.research_due(today)
    actions = reminders.actions_due(today)
    logger.info("reminders_checked meetings=%d actions=%d", meetings, actions)
