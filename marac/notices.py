"""Telling people that something needs their attention: a notification in the app, and an email
that says only that (DESIGN 4.6).

Email leaves our control: it is read on phones, forwarded, kept in mailboxes others can open, and
may be seen by the person someone is hiding from. So a notice never carries a name, a case
reference, an address, a meeting or any text typed about a case; its template is given nothing
but the sign-in link, so it cannot. The person signs in with both factors to see what it is.

The in-app notification is a fixed sentence per kind and a link to where the work is. It shows no
case reference either: the list is not a case page, so it reveals nothing through the field
policy and writes no case read, and a person who has since lost access to the case would still
see the reference there. The link is followed through the page's own access checks (a person who
lost access gets the usual 404), and the page it leads to shows the reference, logged.

Events call `notify` inside their own transaction, so a notification exists exactly when the
event does; its email is queued for a worker once that commits (ids only) and claimed before it
is sent, so it goes once. Reminders (meetings/reminders.py) call the same `notify`.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from marac.background import queue_after_commit, queue_now
from marac.celery import app
from marac.models import EmailOptOut, Membership, NoticeKind, Notification, Role, User, service_accounts

logger = logging.getLogger("marac.notices")

EMAIL_RETRIES = 4
BACKOFF_SECONDS = 30


@dataclass(frozen=True)
class Notice:
    subject: str  # the email's subject
    template: str  # the email's body: given the sign-in link and nothing else
    sentence: str  # what the notification says in the app
    link_text: str  # its link to where the work is


NOTICES = {
    NoticeKind.MORE_INFO: Notice(
        subject="A MARAC coordinator has asked you a question",
        template="email/more_info.txt",
        sentence="The MARAC coordinator has asked for more information about a referral you made.",
        link_text="Go to the referral",
    ),
    NoticeKind.REFERRAL_DECIDED: Notice(
        subject="A decision has been made on a MARAC referral",
        template="email/referral_decided.txt",
        sentence="The MARAC coordinator has accepted or declined a referral you made.",
        link_text="Go to the referral",
    ),
    NoticeKind.AGENDA_ISSUED: Notice(
        subject="A MARAC agenda has been issued to you",
        template="email/agenda_issued.txt",
        sentence="The agenda for a MARAC meeting you are invited to has been issued.",
        link_text="Go to the meeting",
    ),
    NoticeKind.PACK_READY: Notice(
        subject="A MARAC meeting pack is ready for you",
        template="email/pack_ready.txt",
        sentence="Your pack for a MARAC meeting is ready to download.",
        link_text="Go to the meeting",
    ),
    NoticeKind.RESEARCH_DUE: Notice(
        subject="MARAC research is due from your agency",
        template="email/research_due.txt",
        sentence="Research for a MARAC meeting is due from your agency.",
        link_text="Go to the meeting",
    ),
    NoticeKind.ACTION_ASSIGNED: Notice(
        subject="A MARAC action has been given to your agency",
        template="email/action_assigned.txt",
        sentence="A MARAC meeting has given your agency an action.",
        link_text="Go to the action",
    ),
    NoticeKind.ACTION_DUE: Notice(
        subject="A MARAC action is due soon",
        template="email/action_due.txt",
        sentence="An action your agency owns is due in 3 days or fewer.",
        link_text="Go to the action",
    ),
    NoticeKind.ACTION_OVERDUE: Notice(
        subject="A MARAC action is overdue",
        template="email/action_overdue.txt",
        sentence="An action your agency owns is overdue.",
        link_text="Go to the action",
    ),
    NoticeKind.MINUTES_ISSUED: Notice(
        subject="MARAC minutes have been issued to you",
        template="email/minutes_issued.txt",
        sentence="The minutes of a MARAC meeting you were invited to have been issued.",
        link_text="Go to the meeting",
    ),
    NoticeKind.EMERGENCY_REQUESTED: Notice(
        subject="Someone asks for emergency access to a MARAC case",
        template="email/emergency_requested.txt",
        sentence="Someone from another area asks for emergency access to a case in your area. Approve or refuse it.",
        link_text="Go to the request",
    ),
    NoticeKind.EMERGENCY_DECIDED: Notice(
        subject="Your request for emergency access is decided",
        template="email/emergency_decided.txt",
        sentence="The area's coordinator or chair has approved or refused your request for emergency access.",
        link_text="Go to your request",
    ),
    NoticeKind.EMERGENCY_USED: Notice(
        subject="Emergency access to a MARAC case has been opened",
        template="email/emergency_used.txt",
        sentence="Someone has opened emergency access to a case in your area.",
        link_text="Go to the emergency access",
    ),
    NoticeKind.TRANSFER_REQUESTED: Notice(
        subject="A MARAC case is offered to your area",
        template="email/transfer_requested.txt",
        sentence="Another area offers a case to your area. Accept or decline it.",
        link_text="Go to the transfer",
    ),
    NoticeKind.TRANSFER_DECIDED: Notice(
        subject="A case you offered to another area is decided",
        template="email/transfer_decided.txt",
        sentence="The area you offered a case to has accepted or declined it.",
        link_text="Go to the transfer",
    ),
    NoticeKind.CASE_ALLOCATED: Notice(
        subject="A MARAC case is allocated to you",
        template="email/case_allocated.txt",
        sentence="Your team lead has allocated a case to you.",
        link_text="Go to the case",
    ),
    # Says that safe contact details changed, never which case or what they are now (issue 18).
    NoticeKind.SAFE_CONTACT_CHANGED: Notice(
        subject="Safe contact details changed on a MARAC case",
        template="email/safe_contact_changed.txt",
        sentence="The safe contact details on a case you work on changed. Check them before you make any contact.",
        link_text="Go to the case",
    ),
    NoticeKind.ERASURE_TO_CONFIRM: Notice(
        subject="A MARAC case's erasure waits for you to confirm it",
        template="email/erasure_to_confirm.txt",
        sentence="A coordinator in your area asks to erase a case whose retention period has passed. A second person must confirm it.",
        link_text="Go to the erasure request",
    ),
}

# Who each kind of notice is for: someone told must hold one of these roles now, in an active
# membership (in the event's area, and for its agency, when the caller says which). A referrer who
# has left the agency, or a chair named on a meeting who no longer chairs, is told nothing more.
MEETING_PEOPLE = frozenset({Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP})
RELEVANT_ROLES: dict[str, frozenset[str]] = {
    NoticeKind.MORE_INFO: frozenset({Role.REFERRER}),
    NoticeKind.REFERRAL_DECIDED: frozenset({Role.REFERRER}),
    NoticeKind.AGENDA_ISSUED: MEETING_PEOPLE,
    NoticeKind.PACK_READY: MEETING_PEOPLE,
    NoticeKind.MINUTES_ISSUED: MEETING_PEOPLE,
    NoticeKind.RESEARCH_DUE: frozenset({Role.AGENCY_REP}),
    NoticeKind.ACTION_ASSIGNED: frozenset({Role.AGENCY_REP}),
    NoticeKind.ACTION_DUE: frozenset({Role.AGENCY_REP}),
    NoticeKind.ACTION_OVERDUE: frozenset({Role.AGENCY_REP}),
    NoticeKind.EMERGENCY_REQUESTED: frozenset({Role.COORDINATOR, Role.CHAIR}),
    NoticeKind.EMERGENCY_DECIDED: frozenset({Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP, Role.TEAM_LEAD}),
    NoticeKind.EMERGENCY_USED: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    NoticeKind.TRANSFER_REQUESTED: frozenset({Role.COORDINATOR}),
    NoticeKind.TRANSFER_DECIDED: frozenset({Role.COORDINATOR}),
    NoticeKind.CASE_ALLOCATED: frozenset({Role.REFERRER}),
    # Whoever may contact her through the case: emergency access may come from any of these roles.
    NoticeKind.SAFE_CONTACT_CHANGED: frozenset({Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP, Role.TEAM_LEAD}),
    NoticeKind.ERASURE_TO_CONFIRM: frozenset({Role.COORDINATOR, Role.CHAIR}),
}


def still_told(user_ids: Iterable[int], kind: str, *, area_id: int | None = None, agency_ids: Iterable[int] | None = None) -> set[int]:
    """Those of `user_ids` whose account is active and who hold, now, an active membership in a
    role the notice is for: in `area_id` and at one of `agency_ids` when given, anywhere if not."""
    memberships = Membership.objects.filter(
        user_id__in=list(user_ids), user__is_active=True, is_active=True, role__in=sorted(RELEVANT_ROLES[kind])
    ).exclude(service_accounts("user__"))  # a partner system's account is no one to tell
    if area_id is not None:
        memberships = memberships.filter(area_id=area_id)
    if agency_ids is not None:
        memberships = memberships.filter(agency_id__in=list(agency_ids))
    return set(memberships.values_list("user_id", flat=True))


# What send_notice did.
SENT, NO_ADDRESS, OPTED_OUT = "sent", "no_address", "opted_out"


def notify(
    *,
    kind: str,
    subject_key: str,
    users: Iterable[User],
    url: str,
    by: User | None = None,
    area_id: int | None = None,
    agency_ids: Iterable[int] | None = None,
) -> None:
    """Give each person (not `by`, who did it, no deactivated account, and no one without an active
    membership in a role the notice is for, in `area_id` and at one of `agency_ids` when the
    caller knows them) a notification of `kind` about `subject_key` (ids only) unless they
    already have one, and queue its email. Call inside the transaction that makes the event happen."""
    if kind not in NOTICES:
        raise ValueError(f"unknown notice kind {kind}")
    user_ids = {user.pk for user in users if user.is_active} - {by.pk if by else None}
    if not user_ids:
        return
    user_ids = still_told(user_ids, kind, area_id=area_id, agency_ids=agency_ids)
    if not user_ids:
        return
    # ignore_conflicts: a notification someone already has stays as it is (read or not), and two
    # runs racing each insert what the other has not.
    Notification.objects.bulk_create(
        [Notification(user_id=user_id, kind=kind, subject_key=subject_key, url=url) for user_id in sorted(user_ids)],
        ignore_conflicts=True,
    )
    pending = Notification.objects.filter(kind=kind, subject_key=subject_key, user_id__in=user_ids, email=Notification.Email.PENDING)
    for notification_id in pending.values_list("pk", flat=True):
        queue_after_commit(email_notification, notification_id)


def notify_in_app(*, kind: str, subject_key: str, user: User, url: str) -> None:
    """The notification only, for a kind whose email has its own task (the meeting pack's)."""
    Notification.objects.get_or_create(
        user=user, kind=kind, subject_key=subject_key, defaults={"url": url, "email": Notification.Email.OWN_TASK}
    )


def email_wanted(user: User, kind: str) -> bool:
    return not EmailOptOut.objects.filter(user=user, kind=kind).exists()


def send_notice(user: User, kind: str) -> str:
    """Email one notice unless the person has no address or turned this kind off. SMTP errors go
    to the caller (the task retries)."""
    if not user.email or not user.is_active:  # a deactivated account is told nothing more
        return NO_ADDRESS
    if not still_told([user.pk], kind):  # nor someone whose membership ended since the event
        return NO_ADDRESS
    if not email_wanted(user, kind):
        return OPTED_OUT
    notice = NOTICES[NoticeKind(kind)]
    send_mail(notice.subject, render_notice(kind), None, [user.email])
    audit.record(event="notice_emailed", user=user, purpose=kind)
    return SENT


def render_notice(kind: str) -> str:
    """An email's body: its template, given the sign-in link and nothing else."""
    return render_to_string(NOTICES[NoticeKind(kind)].template, {"sign_in_url": settings.MARAC_SITE_URL + reverse("sign-in")})


@app.task(bind=True, max_retries=EMAIL_RETRIES)
def email_notification(self, notification_id: int) -> None:
    """A notification's email. Claimed (pending -> sent) before sending, so two runs of this
    task cannot both send it; released for the retry if the send fails."""
    claimed = Notification.objects.filter(pk=notification_id, email=Notification.Email.PENDING)
    if not claimed.update(email=Notification.Email.SENT):
        return
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    try:
        outcome = send_notice(notification.user, notification.kind)
    except Exception as error:  # SMTP refused, unreachable, or anything else
        last_try = self.request.retries >= EMAIL_RETRIES
        released = Notification.Email.FAILED if last_try else Notification.Email.PENDING
        Notification.objects.filter(pk=notification_id).update(email=released)
        logger.warning("notice_not_sent notification=%s error=%s last_try=%s", notification_id, type(error).__name__, last_try)
        if last_try:
            return
        raise self.retry(countdown=BACKOFF_SECONDS * 2**self.request.retries) from None
    if outcome != SENT:
        Notification.objects.filter(pk=notification_id).update(email=outcome)


# A pending email older than this was not queued (the broker was down) or its worker died.
STALLED_MINUTES = 15
CATCH_UP_HOURS = 24  # older than this the moment has passed: the notification in the app stays


@app.task
def email_stalled_notifications() -> int:
    """Every 15 minutes (marac/schedules.py): queue again the emails still pending a while after
    their notification was made. Safe to overlap with the first try: each email is claimed."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            created_at__lt=now - timedelta(minutes=STALLED_MINUTES),
            created_at__gte=now - timedelta(hours=CATCH_UP_HOURS),
            email=Notification.Email.PENDING,
        ).values_list("pk", flat=True)
    )
    for notification_id in ids:
        queue_now(email_notification, notification_id)
    return len(ids)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()
