"""The auditor's items on the home page's work list (marac.worklist), registered from
AuditWorkspaceConfig.ready(): the anomalies since their last visit to the anomalies page, and the
chain's last verification. Counts and dates from the access log only, which holds no victim
data; in a fixed number of queries however long the log is."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import ExtractHour, TruncHour
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from audit.workspace import selectors
from marac import worklist
from marac.models import Role
from marac.viewer import Viewer
from marac.worklist import WorkItem

ANOMALY_WINDOW = timedelta(days=30)  # as selectors.anomalies: the anomalies page looks no further back


def register() -> None:
    worklist.register(Role.AUDITOR, auditor_work)


def auditor_work(viewer: Viewer) -> list[WorkItem]:
    """Six queries: the last visit, the anomalies since (four), the last verification."""
    events = selectors.events_in_scope(viewer.areas_for(Role.AUDITOR))
    last_visit = AccessEvent.objects.filter(user=viewer.user, event=selectors.ANOMALIES_VIEWED).aggregate(last=Max("at"))["last"]
    since = max(filter(None, [last_visit, timezone.now() - ANOMALY_WINDOW]))
    detail = f"since your last look on {_moment(last_visit)}" if last_visit else "in the last 30 days; you have not opened the page yet"
    return [
        WorkItem("Anomalies", anomalies_since(events, since), reverse("audit-anomalies"), detail),
        last_verification(),
    ]


def anomalies_since(events, since) -> int:
    """What the anomalies page lists (selectors.anomalies), counted from `since`: emergency
    access asked for, integrity failures, out-of-hours case reads, hours with a burst of refusals
    or of reads, and days on which one person seems to guess references through emergency access."""
    recent = events.filter(at__gte=since)
    start, end = settings.MARAC_AUDIT_WORKING_HOURS
    out_of_hours = Q(event="case_read") & ~Q(local_hour__gte=start, local_hour__lt=end)
    single = recent.annotate(local_hour=ExtractHour("at")).aggregate(
        break_glass=Count("pk", filter=Q(event__in=selectors.EMERGENCY_EVENTS)),
        integrity=Count("pk", filter=Q(outcome=AccessEvent.Outcome.INTEGRITY_FAILURE)),
        out_of_hours=Count("pk", filter=out_of_hours),
    )
    denied = _burst_hours(recent.filter(outcome=AccessEvent.Outcome.DENIED), settings.MARAC_AUDIT_DENIED_BURST)
    reads = _burst_hours(recent.filter(event="case_read"), settings.MARAC_AUDIT_VIEWS_PER_HOUR)
    guessing = len(selectors.emergency_guessing(recent, settings.MARAC_AUDIT_EMERGENCY_GUESSES))
    return single["break_glass"] + single["integrity"] + single["out_of_hours"] + denied + reads + guessing


def _burst_hours(events, threshold: int) -> int:
    """People-hours with at least `threshold` of these events, counted in the database."""
    return events.annotate(hour=TruncHour("at")).values("user_id", "hour").annotate(count=Count("pk")).filter(count__gte=threshold).count()


def last_verification() -> WorkItem:
    """Nothing else records a verification (the verify_audit_chain command prints its verdict),
    so this is the last time anyone opened the chain page, which verifies the chain and records it."""
    last = AccessEvent.objects.filter(event=selectors.CHAIN_VERIFIED).order_by("-sequence").values("at", "purpose", "outcome").first()
    url = reverse("audit-chain")
    if last is None:
        return WorkItem("Access log chain", None, url, "not verified on the chain page yet: open it to verify")
    verdict = "intact" if last["outcome"] == AccessEvent.Outcome.ALLOWED else "BROKEN"
    return WorkItem(
        "Access log chain", None, url, f"{verdict}: last verified on the chain page on {_moment(last['at'])} ({last['purpose']})"
    )


def _moment(at) -> str:
    local = timezone.localtime(at)
    return f"{local.day} {local:%B %Y at %H:%M}"
