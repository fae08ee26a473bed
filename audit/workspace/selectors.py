"""What an auditor may see of the access log: events about their areas' cases and people.
Events hold no victim data, so auditors read every event in scope in full."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate, TruncHour
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Membership
from referrals.models import Case

# Written by the workspace's pages, read by the auditor's home page (audit/workspace/worklist.py).
ANOMALIES_VIEWED = "audit_anomalies_viewed"
CHAIN_VERIFIED = "audit_chain_verified"

# Emergency access an auditor looks at one event at a time: a grant opening, an ask refused, an ask
# sent to another area, an approval and an approver's refusal (referrals/emergency.py, ADR 0020).
EMERGENCY_EVENTS = ("break_glass", "break_glass_refused", "break_glass_requested", "break_glass_approved", "break_glass_declined")
# What guessing references looks like: asks refused (no such case or one moved out of the person's
# area, a tie already, the wrong role, an auditor's or administrator's ask included, past the
# limit) and asks for cases in areas the person has no tie to. References are numbered in order,
# so one person making several in a day is worth a look.
GUESSING_EVENTS = ("break_glass_refused", "break_glass_requested")


def events_in_scope(areas: set[int]) -> QuerySet[AccessEvent]:
    """Events about cases in the areas; every event by people who work in them (including probes
    of references that do not exist); and events by nobody signed in (failed sign-ins,
    lockouts), which carry only an address and are every auditor's concern."""
    references = Case.objects.filter(area_id__in=areas).values("reference")
    people = Membership.objects.filter(area_id__in=areas).values("user_id")
    return AccessEvent.objects.filter(Q(case_reference__in=references) | Q(user_id__in=people) | Q(user__isnull=True))


def search(
    events: QuerySet[AccessEvent], *, username: str = "", case_reference: str = "", event: str = "", since=None, until=None
) -> QuerySet[AccessEvent]:
    if username:
        events = events.filter(user__username=username)
    if case_reference:
        events = events.filter(case_reference=case_reference)
    if event:
        events = events.filter(event=event)
    if since:
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until and until < date.max:
        events = events.filter(at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    return events.select_related("user").order_by("-sequence")


def who_accessed(events: QuerySet[AccessEvent], case_reference: str) -> list[dict]:
    """For a subject access request: each person who touched the case, how often, first and last."""
    return list(
        events.filter(case_reference=case_reference)
        .values("user__username", "user__first_name", "user__last_name")
        .annotate(count=Count("pk"), first=Min("at"), last=Max("at"))
        .order_by("-last")
    )


def anomalies(events: QuerySet[AccessEvent], *, now=None) -> dict[str, list]:
    """Patterns worth an auditor's look over the last 30 days (DESIGN 4.5)."""
    now = now or timezone.now()
    recent = events.filter(at__gte=now - timedelta(days=30))
    start, end = settings.MARAC_AUDIT_WORKING_HOURS
    return {
        # A record that failed to decrypt, or a comparison of the rows with the chain (nightly, by
        # command or from the chain page) that found rows put back, changed or missing (ADR 0023).
        "integrity": list(recent.filter(outcome=AccessEvent.Outcome.INTEGRITY_FAILURE).select_related("user").order_by("-sequence")[:100]),
        # Refused asks too: every one is a probe of a reference, whatever its outcome.
        "break_glass": list(recent.filter(event__in=EMERGENCY_EVENTS).select_related("user").order_by("-sequence")[:100]),
        "guessing": emergency_guessing(recent, settings.MARAC_AUDIT_EMERGENCY_GUESSES),
        "denied": _bursts(recent.filter(outcome=AccessEvent.Outcome.DENIED), settings.MARAC_AUDIT_DENIED_BURST),
        "many_views": _bursts(recent.filter(event="case_read"), settings.MARAC_AUDIT_VIEWS_PER_HOUR),
        # Filtered and counted in the database, before any limit: a month of routine reads must
        # not push the newest anomalies out of a capped list.
        "out_of_hours": list(
            recent.filter(event="case_read")
            .annotate(local_hour=ExtractHour("at"))
            .exclude(local_hour__gte=start, local_hour__lt=end)
            .select_related("user")
            .order_by("-sequence")[:100]
        ),
    }


def _bursts(events: QuerySet[AccessEvent], threshold: int) -> list[dict]:
    """People with at least `threshold` of these events within one clock hour (local time), the
    latest first."""
    hours = (
        events.annotate(hour=TruncHour("at"))
        .values("user_id", "user__username", "hour")
        .annotate(count=Count("pk"))
        .filter(count__gte=threshold)
        .order_by("-hour", "user_id")[:100]
    )
    return [
        {"user_id": row["user_id"], "username": row["user__username"] or "(not signed in)", "hour": row["hour"], "count": row["count"]}
        for row in hours
    ]


def emergency_guessing(events: QuerySet[AccessEvent], threshold: int) -> list[dict]:
    """People with at least `threshold` refused asks for emergency access, or asks for cases in
    another area, on one day (local time), the latest first."""
    days = (
        events.filter(event__in=GUESSING_EVENTS)
        .annotate(day=TruncDate("at"))
        .values("user_id", "user__username", "day")
        .annotate(count=Count("pk"))
        .filter(count__gte=threshold)
        .order_by("-day", "user_id")[:100]
    )
    return [
        {"user_id": row["user_id"], "username": row["user__username"] or "(not signed in)", "day": row["day"], "count": row["count"]}
        for row in days
    ]
