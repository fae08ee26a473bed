"""Emergency (break-glass) access (DESIGN 4.5, ADR 0020): writes, each atomic, logged and told.

In the person's own areas an ask opens the case at once, for MARAC_BREAK_GLASS_MINUTES. For a case
in another area it waits for that area's coordinator or chair, who approves (a grant for the same
time, which they may extend to the contact fields, giving a coded reason) or refuses; approving,
the requester is checked again as they are then. Until then the person sees nothing of the case;
an ask for a reference that does not exist looks exactly like that to them, and is recorded as
refused. A grant lasts only while the membership it was asked under is active. Every ask,
whatever becomes of it, counts towards MARAC_BREAK_GLASS_PER_DAY.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

import audit
from marac.models import Membership, NoticeKind, Role, User
from marac.notices import notify
from marac.refusals import Forbidden
from marac.viewer import Viewer
from referrals.access import BREAK_GLASS_ROLES, EMERGENCY_APPROVER_ROLES, may_break_glass, relationships_to_case
from referrals.models import BreakGlassGrant, Case, EmergencyAccessRequest

Ask = EmergencyAccessRequest
# An ask nobody decided within a day lapses: an emergency that waited a day is not one, and an
# old approval must not open a case to someone whose need has passed.
LAPSE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Asked:
    """What became of an ask: the case when it opened at once, None when it waits for a decision."""

    ask: EmergencyAccessRequest
    opened: Case | None


def emergency_access_ask(*, viewer: Viewer, reference: str, reason: str, request=None) -> Asked:
    """Ask for emergency access to the case with `reference`. Opens it at once in the person's own
    areas; elsewhere sends the ask to the case area's coordinators and chairs. Raises
    ValidationError (the ask kept and logged as refused) for a case the person already has a
    relationship with, for no such case in their own areas, and past the daily limit."""
    user = viewer.user
    with transaction.atomic():
        # One person's asks one at a time, so parallel asks cannot beat the daily limit.
        User.objects.select_for_update().filter(pk=user.pk).exists()
        used = asks_in_last_day(user)
        if used >= settings.MARAC_BREAK_GLASS_PER_DAY:
            ask = None
        else:
            # Worked out afresh under the lock, not from what this request already remembered.
            ask = _ask(Viewer(user, viewer.memberships), reference, reason, request)
    if ask is None:
        _log_refused(user, request, reference, reason, "daily limit")
        raise ValidationError(f"You have used emergency access {used} times in the last day. Ask the area's coordinator instead.")
    if ask.status != Ask.Status.REFUSED:
        return Asked(ask, ask.case if ask.status == Ask.Status.APPROVED else None)
    # Recorded after the transaction: a refusal is kept whatever happens to it.
    _log_refused(user, request, reference, reason, ask.get_refusal_display())
    if ask.route == Ask.Route.APPROVAL and ask.refusal == Ask.Refusal.NO_SUCH_CASE:
        return Asked(ask, None)  # to the person, exactly like an ask waiting in another area
    raise ValidationError(_REFUSAL_MESSAGES[Ask.Refusal(ask.refusal)])


_REFUSAL_MESSAGES = {
    Ask.Refusal.NO_SUCH_CASE: "No open case has that reference",
    Ask.Refusal.ALREADY_RELATED: (
        "You already have access to this case through your role, which decides what you see. "
        "Emergency access is only for cases you have no other connection to."
    ),
    Ask.Refusal.WRONG_ROLE: "Your role may not ask for emergency access",
}


def asks_in_last_day(user: User) -> int:
    """Every ask in the last 24 hours, opened, waiting, refused, withdrawn or lapsed, and grants
    from before asks were kept."""
    since = timezone.now() - timedelta(days=1)
    asks = Ask.objects.filter(requester=user, requested_at__gte=since).count()
    return asks + BreakGlassGrant.objects.filter(user=user, request=None, granted_at__gte=since).count()


def _ask(viewer: Viewer, reference: str, reason: str, request) -> EmergencyAccessRequest:
    case = _case_asked_for(viewer, reference)
    asked_from = _asked_from(viewer, case, reference)
    ask = Ask(
        case=case,
        reference=reference,
        requester=viewer.user,
        requester_membership=asked_from,
        requester_agency=asked_from.agency if asked_from else None,
        requester_area=asked_from.area if asked_from else None,
        reason=reason,
        route=Ask.Route.OWN_AREA if _in_own_area(viewer, case, reference) else Ask.Route.APPROVAL,
    )
    refusal = _refusal(viewer, case)
    if refusal or case is None:
        ask.status, ask.refusal, ask.decided_at = Ask.Status.REFUSED, refusal, timezone.now()
        ask.save()
        return ask
    if ask.route == Ask.Route.OWN_AREA:
        ask.status, ask.decided_at = Ask.Status.APPROVED, timezone.now()
        ask.save()
        _open_grant(ask, by=viewer.user, request=request)
        return ask
    ask.save()
    audit.record(event="break_glass_requested", user=viewer.user, request=request, case_reference=reference, purpose=reason)
    _tell_approvers(ask, case)
    return ask


def _case_asked_for(viewer: Viewer, reference: str) -> Case | None:
    """The live case with `reference`, or None: none has it, or it has moved out of the person's areas."""
    case = Case.objects.filter(reference=reference).exclude(status=Case.Status.SHREDDED).select_related("area").first()
    if case is not None and _moved_out_of_own_area(viewer, case, reference):
        return None
    return case


def _moved_out_of_own_area(viewer: Viewer, case: Case, reference: str) -> bool:
    """A case transferred out of one of the person's areas keeps its reference with that area's
    code. Answered otherwise than a reference never issued there, it would tell them the case
    left their area, often because the victim fled: so it is answered, logged and counted as a
    miss. Someone with a tie to the case where it is now knows that already."""
    own = viewer.areas_for(*BREAK_GLASS_ROLES)
    return case.area_id not in own and _area_code(reference) in _own_codes(viewer) and not relationships_to_case(viewer, case)


def _asked_from(viewer: Viewer, case: Case | None, reference: str) -> Membership | None:
    """The membership the ask is made under, kept on the ask and its grant (which lasts only while
    it is active): in the case's area (or, for no such case, the area its code names) the one
    that makes the ask self-service; elsewhere the person's first that may ask, as the approver
    is shown."""
    may_ask = [m for m in viewer.memberships if m.role in BREAK_GLASS_ROLES]
    if case is not None:
        there = [m for m in may_ask if m.area_id == case.area_id]
    else:
        there = [m for m in may_ask if m.area.short_code == _area_code(reference)]
    return next(iter(there or may_ask), None)


def _in_own_area(viewer: Viewer, case: Case | None, reference: str) -> bool:
    """In an area where the person holds a role that may ask. For no such case, the reference's
    area code decides: a typo in one's own area is told as such; anywhere else it must look like
    an ask waiting for another area's decision."""
    if case is not None:
        return case.area_id in viewer.areas_for(*BREAK_GLASS_ROLES)
    return _area_code(reference) in _own_codes(viewer)


def _own_codes(viewer: Viewer) -> set[str]:
    """The area codes of the areas where the person holds a role that may ask."""
    return {m.area.short_code for m in viewer.memberships if m.role in BREAK_GLASS_ROLES}


def _area_code(reference: str) -> str:
    return reference.split("-", 1)[0]


def _refusal(viewer: Viewer, case: Case | None) -> str:
    if not may_break_glass(viewer):
        return Ask.Refusal.WRONG_ROLE
    if case is None:
        return Ask.Refusal.NO_SUCH_CASE
    # Any relationship already decides what the person sees (a meeting representative's, an
    # auditor's, a grant still running): emergency access must not widen or extend it.
    if relationships_to_case(viewer, case):
        return Ask.Refusal.ALREADY_RELATED
    return ""


def _log_refused(user: User, request, reference: str, reason: str, why: str) -> None:
    audit.record(
        event="break_glass_refused", user=user, request=request, case_reference=reference[:40], purpose=f"{reason}; {why}", outcome="denied"
    )


def emergency_access_refused_for_role(*, viewer: Viewer, reference: str, reason: str) -> None:
    """An ask from someone whose roles may not ask (an auditor, an administrator): kept, so it
    counts towards their limit too. The page refuses it and logs the refusal (marac.refusals)."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=viewer.user.pk).exists()
        Ask.objects.create(
            reference=reference,
            requester=viewer.user,
            reason=reason,
            route=Ask.Route.APPROVAL,
            status=Ask.Status.REFUSED,
            refusal=Ask.Refusal.WRONG_ROLE,
            decided_at=timezone.now(),
        )


def emergency_request_decide(
    *, ask: EmergencyAccessRequest, approve: bool, extension_reason: str = "", viewer: Viewer, request=None
) -> EmergencyAccessRequest:
    """The case area's coordinator or chair approves (opening a grant, extended to the contact
    fields when they give an extension reason) or refuses an ask waiting for them. Approving, the
    requester is checked again as they are now: if the service would refuse their ask today (a
    tie to the case since, the role they asked under ended), the ask is closed as refused
    instead. The requester is told either way."""
    if ask.requester_id == viewer.user.pk:
        _refuse_own_decision(ask, viewer=viewer, request=request)  # outside the transaction: the log keeps it
    return _decide_locked(ask=ask, approve=approve, extension_reason=extension_reason, viewer=viewer, request=request)


@transaction.atomic
def _decide_locked(*, ask: EmergencyAccessRequest, approve: bool, extension_reason: str, viewer: Viewer, request) -> EmergencyAccessRequest:
    ask = Ask.objects.select_for_update(of=("self",)).select_related("case", "requester").get(pk=ask.pk)
    if ask.case is None or ask.case.area_id not in viewer.areas_for(*EMERGENCY_APPROVER_ROLES):
        raise PermissionDenied  # the getter refuses first; this guards any other caller
    if shown_status(ask) != Ask.Status.PENDING:
        raise ValidationError("This request has already been decided, withdrawn, or has lapsed")
    if approve and ask.case.is_shredded:
        raise ValidationError("The case has been erased since the request was made")
    refusal = _refusal_at_decision(ask) if approve else ""
    if refusal:
        _close_refused(ask, refusal, by=viewer.user, request=request)
    else:
        _decide(ask, approve=approve, extension_reason=extension_reason, by=viewer.user, request=request)
    notify(
        kind=NoticeKind.EMERGENCY_DECIDED,
        subject_key=f"emergency_request:{ask.pk}:decided",
        users=[ask.requester],
        url=reverse("emergency-mine"),
        by=viewer.user,
    )
    return ask


def _refuse_own_decision(ask: EmergencyAccessRequest, *, viewer: Viewer, request) -> None:
    """Nobody decides their own ask (one who became the area's chair since asking, say): another
    coordinator or chair must. Logged as the getter logs it; the ask stays waiting for them."""
    purpose = f"decide emergency access: their own (request {ask.pk})"
    audit.record(
        event="emergency_request_denied", user=viewer.user, request=request, case_reference=ask.reference, purpose=purpose, outcome="denied"
    )
    raise Forbidden


def _refusal_at_decision(ask: EmergencyAccessRequest) -> str:
    """What the service would answer the requester's ask now, hours after it was made."""
    if ask.case is None:  # not reached: only an ask for a real case waits for a decision
        return Ask.Refusal.NO_SUCH_CASE
    requester = Viewer.of(ask.requester)
    still_held = any(m.pk == ask.requester_membership_id and m.role in BREAK_GLASS_ROLES for m in requester.memberships)
    if not (ask.requester.is_active and still_held):
        return Ask.Refusal.WRONG_ROLE  # the grant would never be honoured (referrals.access)
    return _refusal(requester, ask.case)


def _close_refused(ask: EmergencyAccessRequest, refusal: str, *, by: User, request) -> None:
    """An approval the service refuses: the ask is closed as refused, nothing opens, and the
    approver's attempt is listed for auditors with why."""
    ask.status, ask.refusal, ask.extended, ask.extension_reason = Ask.Status.REFUSED, refusal, False, ""
    ask.decided_by, ask.decided_at = by, timezone.now()
    ask.save()
    purpose = f"request {ask.pk}; {ask.reason}; closed: {ask.get_refusal_display()}"
    audit.record(event="break_glass_declined", user=by, request=request, case_reference=ask.reference, purpose=purpose)


def _decide(ask: EmergencyAccessRequest, *, approve: bool, extension_reason: str, by: User, request) -> None:
    case = ask.case
    if case is None:  # not reached: only an ask for a real case waits for a decision
        raise ValueError("only an ask for a real case is decided")
    extended = approve and bool(extension_reason)
    ask.status = Ask.Status.APPROVED if approve else Ask.Status.REFUSED
    ask.decided_by, ask.decided_at = by, timezone.now()
    ask.extended, ask.extension_reason = extended, extension_reason if extended else ""
    ask.full_clean()
    ask.save()
    purpose = f"request {ask.pk}; {ask.reason}" + (f"; extended: {ask.extension_reason}" if extended else "")
    event = "break_glass_approved" if approve else "break_glass_declined"
    audit.record(event=event, user=by, request=request, case_reference=case.reference, purpose=purpose)
    if approve:
        # Not the approver's request: the requester's event must not carry the approver's address.
        _open_grant(ask, by=by, request=None)


@transaction.atomic
def emergency_request_withdraw(*, ask: EmergencyAccessRequest, by: User, request=None) -> EmergencyAccessRequest:
    """The requester withdraws an ask still waiting (as they see it) for a decision."""
    ask = Ask.objects.select_for_update(of=("self",)).get(pk=ask.pk)
    if ask.requester_id != by.pk:
        raise PermissionDenied
    if shown_status(ask) != Ask.Status.PENDING:
        raise ValidationError("Only a request still waiting for a decision can be withdrawn")
    ask.status = Ask.Status.WITHDRAWN  # an ask for no such case keeps its refusal code
    ask.save(update_fields=["status"])
    audit.record(event="break_glass_withdrawn", user=by, request=request, case_reference=ask.reference, purpose=f"request {ask.pk}")
    return ask


def shown_status(ask: EmergencyAccessRequest, now=None) -> str:
    """The status as the requester sees it. An ask for a case that does not exist, in another
    area, is kept as refused but shown exactly as a real ask nobody has decided: waiting, then
    lapsed after a day. A real one is lapsed by age too, so a late schedule changes nothing."""
    now = now or timezone.now()
    unanswered = ask.status == Ask.Status.PENDING or (
        ask.status == Ask.Status.REFUSED and ask.route == Ask.Route.APPROVAL and ask.refusal == Ask.Refusal.NO_SUCH_CASE
    )
    if unanswered:
        return Ask.Status.LAPSED if ask.requested_at <= now - LAPSE_AFTER else Ask.Status.PENDING
    return ask.status


def _open_grant(ask: EmergencyAccessRequest, *, by: User, request) -> BreakGlassGrant:
    case = ask.case
    if case is None:  # not an assert: python -O would drop it
        raise ValueError("only an ask for a real case opens a grant")
    expires = timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES)
    grant = BreakGlassGrant.objects.create(
        case=case,
        user=ask.requester,
        reason=ask.reason,
        expires_at=expires,
        request=ask,
        extended=ask.extended,
        membership=ask.requester_membership,
    )
    purpose = ask.reason + (f"; extended: {ask.extension_reason}" if ask.extended else "")
    # Recorded as the requester's: it is their access, whoever approved it.
    audit.record(event="break_glass", user=ask.requester, request=request, case_reference=case.reference, purpose=purpose)
    _tell_area(grant, by=by)
    return grant


def _area_people(area_id: int, *roles: str) -> QuerySet[User]:
    """Everyone with an active membership in one of `roles` in the area (notify checks again)."""
    members = Membership.objects.filter(area_id=area_id, role__in=roles, is_active=True).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True)


def _tell_area(grant: BreakGlassGrant, *, by: User) -> None:
    """A grant opening: the case area's coordinators (to the area's emergency access page) and
    auditors (to their anomalies page) are told at once. Ids only in the subject key."""
    area_id = grant.case.area_id
    for role, url in ((Role.COORDINATOR, reverse("emergency-requests")), (Role.AUDITOR, reverse("audit-anomalies"))):
        notify(
            kind=NoticeKind.EMERGENCY_USED,
            subject_key=f"emergency_grant:{grant.pk}",
            users=_area_people(area_id, role),
            url=url,
            by=by,
            area_id=area_id,
        )


def _tell_approvers(ask: EmergencyAccessRequest, case: Case) -> None:
    """An ask waiting: the case area's coordinators and chairs, nobody in any other area."""
    notify(
        kind=NoticeKind.EMERGENCY_REQUESTED,
        subject_key=f"emergency_request:{ask.pk}",
        users=_area_people(case.area_id, *EMERGENCY_APPROVER_ROLES),
        url=reverse("emergency-decide", args=[ask.pk]),
        by=ask.requester,
        area_id=case.area_id,
    )


def pending_for_approver(areas: set[int], now=None, *, excluding: User | None = None) -> QuerySet[EmergencyAccessRequest]:
    """Asks waiting for a decision by the coordinators and chairs of `areas`, not yet lapsed;
    without those `excluding` made, which someone else must decide."""
    now = now or timezone.now()
    pending = Ask.objects.filter(status=Ask.Status.PENDING, case__area_id__in=areas, requested_at__gt=now - LAPSE_AFTER)
    return pending.exclude(requester=excluding) if excluding is not None else pending


def running_in_areas(areas: set[int]) -> QuerySet[BreakGlassGrant]:
    """Emergency access open now to cases in `areas`."""
    return BreakGlassGrant.objects.filter(case__area_id__in=areas, ended_at=None, expires_at__gt=timezone.now())


# Ending grants and lapsing asks: the periodic jobs (referrals/tasks.py) for those past their
# time, and an accepted transfer (referrals/transfers.py) for those on the case it moves.


def grants_end(grants: QuerySet[BreakGlassGrant], *, why: str) -> int:
    """End each grant not yet ended, each end an access event for auditors (as the grant's user:
    it is their access). Call inside a transaction; the grants are locked first."""
    ended = 0
    for grant in grants.select_for_update(of=("self",)).filter(ended_at=None).select_related("case"):
        grant.ended_at = timezone.now()
        grant.save(update_fields=["ended_at"])
        audit.record(
            event="break_glass_ended", user=grant.user, case_reference=grant.case.reference, purpose=f"{why}; reason {grant.reason}"
        )
        ended += 1
    return ended


def asks_lapse(asks: QuerySet[EmergencyAccessRequest], *, why: str = "") -> int:
    """Lapse each ask still waiting for a decision, each lapse an access event. Call inside a
    transaction; the asks are locked first."""
    lapsed = 0
    for ask in asks.select_for_update(of=("self",)).filter(status=Ask.Status.PENDING).select_related("requester"):
        ask.status = Ask.Status.LAPSED
        ask.save(update_fields=["status"])
        purpose = f"request {ask.pk}" + (f"; {why}" if why else "")
        audit.record(event="break_glass_lapsed", user=ask.requester, case_reference=ask.reference, purpose=purpose)
        lapsed += 1
    return lapsed
