"""The auditor's comparison of the records holding victim data with the audit chain (ADR 0023):
rows put back from a backup, changed outside the service or missing, named by kind of record and
case reference only, never content. Scoped to the cases of the areas the person audits."""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AccessEvent
from audit.rows import ROWS_VERIFIED
from audit.workspace.access import audit_scope
from marac.security.row_versions import RowsReport, rows_verify_recorded
from referrals.models import Case


@dataclass(frozen=True)
class NamedRow:
    record: str  # the kind of record, "victim"
    reference: str
    what: str
    live_version: int | None
    chain_version: int | None


# The comparison reads every row of the auditor's areas in the request: one person may run it once
# in this long, so repeated clicks cannot tie up the service (the nightly job covers everything).
COMPARE_AGAIN_AFTER = timedelta(minutes=5)


@require_POST
def audit_rows_verify(request: HttpRequest) -> HttpResponse:
    areas, _ = audit_scope(request)
    last = AccessEvent.objects.filter(event=ROWS_VERIFIED, user=request.user, at__gt=timezone.now() - COMPARE_AGAIN_AFTER).aggregate(
        at=Max("at")
    )
    if last["at"]:
        return render(request, "audit/rows_too_soon.html", {"again_at": last["at"] + COMPARE_AGAIN_AFTER}, status=429)
    report = rows_verify_recorded(cases=Case.objects.filter(area_id__in=areas), request=request)
    return render(request, "audit/rows.html", {"report": report, "named": _named(report), "unrecorded": report.counts["not yet recorded"]})


def _named(report: RowsReport) -> list[NamedRow]:
    named = [
        NamedRow(
            record=str(apps.get_model(finding.model)._meta.verbose_name),
            reference=report.reference_of(finding),
            what=finding.kind,
            live_version=finding.live_version,
            chain_version=finding.chain_version,
        )
        for finding in report.findings
    ]
    return sorted(named, key=lambda row: (row.record, row.reference))


def last_rows_check(events: QuerySet[AccessEvent]) -> dict | None:
    """When the rows were last compared, within what the auditor may see, for the chain page."""
    return events.filter(event=ROWS_VERIFIED).order_by("-sequence").values("at", "purpose", "outcome").first()
