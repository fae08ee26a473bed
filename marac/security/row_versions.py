"""Each write of a record holding victim data goes into the audit chain, so a whole row put back
from a backup is detected (ADR 0023).

A field's ciphertext is bound to its row's version, so one older value replayed into a row fails
to load; but a whole row put back (every ciphertext with its old version) reads as it was. So
every save of an EncryptedModel also appends, in the same transaction, a chain entry with the
row's model, id, version and a digest of its ciphertexts; a deletion appends one too; bulk writers
call `rows_written`. `rows_verify` compares every live row with the latest entry for it
(audit.rows.compare), streaming both in id order inside one snapshot.

The digest covers the ciphertexts only (with the field names, the model, the id and the version):
plain columns such as a referral's status or the data-return codes are derived or coded, and some
are updated in bulk by design (recompute_data_return), so they are not covered.
"""

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model, QuerySet

import audit
from audit import rows as chain_rows
from audit.models import AccessEvent
from audit.rows import Finding, Kind, LiveRow, RowFact

if TYPE_CHECKING:
    from django.contrib.auth.models import _User
    from django.http import HttpRequest

    from marac.security.fields import EncryptedModel

BULK_BATCH = 1000  # chain entries per append from a bulk writer: one statement each on PostgreSQL
BASELINE_RECORDED = "rows_baseline_recorded"  # the access event of verify_rows --record-baseline
KEPT_FINDINGS = 10_000  # named findings kept for a report; the counts are always whole


def row_digest(*, model: str, row_id: int, version: int, ciphertexts: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over the row's identity, its version and each field's name and ciphertext, each
    length-prefixed so no two rows' parts can run into each other. Fields in name order: a data
    migration working on historical models (whose field order may differ) gets the same digest."""
    digest = hashlib.sha256(f"marac:row:v1|{model}|{row_id}|{version}".encode())
    for name, stored in sorted(ciphertexts):
        value = bytes(stored)
        digest.update(f"|{name}|{len(value)}|".encode())
        digest.update(value)
    return digest.hexdigest()


def encrypted_models() -> list[type["EncryptedModel"]]:
    from marac.security.fields import EncryptedModel

    return [model for model in apps.get_models() if issubclass(model, EncryptedModel)]


def _case_reference(instance: "EncryptedModel") -> str:
    from marac.security.fields import case_of

    return str(getattr(case_of(instance), "reference", ""))


def row_fact(instance: "EncryptedModel", *, deleted: bool = False) -> RowFact:
    """The row as it now stands in the database (its ciphertexts, as written)."""
    model = instance._meta.label_lower
    ciphertexts = [(f.attname, instance.__dict__[f.attname]) for f in instance.encrypted_fields()]
    digest = "" if deleted else row_digest(model=model, row_id=instance.pk, version=instance.row_version, ciphertexts=ciphertexts)
    return RowFact(model, instance.pk, instance.row_version, digest, _case_reference(instance))


def _acting(instance: Model) -> tuple[Any, Any]:
    """Who the history row names for this write, the same way: a service's or command's marked
    user, else the request's (simple-history's middleware holds it)."""
    from simple_history.models import HistoricalRecords

    return getattr(instance, "_history_user", None), getattr(HistoricalRecords.context, "request", None)


def row_written(instance: "EncryptedModel") -> None:
    """Called by EncryptedModel.save, inside the save's transaction, after the row is written."""
    user, request = _acting(instance)
    audit.record_rows(rows=[row_fact(instance)], event=chain_rows.ROW_WRITTEN, user=user, request=request)


def row_deleted(sender: type[Model], instance: "EncryptedModel", **kwargs: Any) -> None:
    """Framework glue (post_delete): a row removed through the service is not "missing" later."""
    user, request = _acting(instance)
    audit.record_rows(rows=[row_fact(instance, deleted=True)], event=chain_rows.ROW_DELETED, user=user, request=request)


def rows_written(rows: Sequence["EncryptedModel"], *, by: "_User | None" = None, purpose: str = "bulk write") -> None:
    """For bulk_create after encrypt_for_write (synthetic data at scale): the rows' chain entries,
    a thousand to an append. Call it in the bulk write's transaction, after the rows have ids."""
    for start in range(0, len(rows), BULK_BATCH):
        audit.record_rows(rows=[row_fact(row) for row in rows[start : start + BULK_BATCH]], user=by, purpose=purpose)


# --- comparing the live rows with the chain --------------------------------------------------


@dataclass
class RowsReport:
    checked: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)  # failing ones, named; at most KEPT_FINDINGS
    references: dict[tuple[str, int], str] = field(default_factory=dict)  # (model, row id): case reference
    seconds: float = 0.0
    # Once a baseline has recorded the rows from before this check existed, every row is written
    # through a save that records it: a row the chain has never seen was put in past the service.
    failing: tuple[str, ...] = Kind.FAILING

    @property
    def failed(self) -> int:
        return sum(self.counts[kind] for kind in self.failing)

    def reference_of(self, finding: Finding) -> str:
        return self.references.get((finding.model, finding.id), "") or finding.case_reference

    def summary(self) -> str:
        """Counts only, for the access log."""
        parts = ", ".join(f"{self.counts[kind]} {kind}" for kind in (*Kind.FAILING, Kind.NOT_RECORDED))
        return f"{self.checked} rows compared: {parts}"


def rows_verify(*, cases: QuerySet[Any] | None = None, chunk_size: int = 5000) -> RowsReport:
    """Compare every live row of every encrypted model (of `cases` only, if given) with the chain's
    latest entry for it. Reads only: the caller records the run (after this returns, outside the
    snapshot: an append must see the chain's latest head)."""
    report, started = RowsReport(), time.perf_counter()
    with _one_snapshot():
        if AccessEvent.objects.filter(event=BASELINE_RECORDED).exists():
            report.failing = (*Kind.FAILING, Kind.NOT_RECORDED)
        for model in encrypted_models():
            if cases is not None and not model.ENCRYPTION_CASE_PATH:
                continue  # a meeting's own record belongs to no case: the command checks those
            label = model._meta.label_lower
            events = None if cases is None else AccessEvent.objects.filter(case_reference__in=cases.values("reference"))
            live = _counted(report, _live_rows(model, cases=cases, chunk_size=chunk_size))
            for finding in chain_rows.compare(label, live, chain_rows.latest_entries(label, events=events, chunk_size=chunk_size)):
                report.counts[finding.kind] += 1
                if finding.kind in report.failing and len(report.findings) < KEPT_FINDINGS:
                    report.findings.append(finding)
        report.references = _references(report.findings)
    report.seconds = time.perf_counter() - started
    return report


def rows_verify_recorded(*, cases: QuerySet[Any] | None = None, request: "HttpRequest | None" = None) -> RowsReport:
    """rows_verify, with the run recorded in the access log (an integrity failure when any row went
    back, changed or is missing): what the command, the auditor's page and the nightly job run."""
    report = rows_verify(cases=cases)
    # After the comparison's snapshot has closed: an append must see the chain's latest head.
    outcome = AccessEvent.Outcome.INTEGRITY_FAILURE if report.failed else AccessEvent.Outcome.ALLOWED
    audit.record(event=chain_rows.ROWS_VERIFIED, request=request, purpose=report.summary(), outcome=outcome)
    return report


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """The live rows and the chain read as of one moment, so a save landing between the two reads
    is never taken for a row put back. A row and its entry commit together, so one snapshot
    always agrees with itself. (SQLite: a read transaction is a snapshot already.)"""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _counted(report: RowsReport, rows: Iterator[LiveRow]) -> Iterator[LiveRow]:
    for row in rows:
        report.checked += 1
        yield row


def _live_rows(model: type["EncryptedModel"], *, cases: QuerySet[Any] | None, chunk_size: int) -> Iterator[LiveRow]:
    label, path = model._meta.label_lower, model.ENCRYPTION_CASE_PATH
    names = [f.attname for f in model.encrypted_fields()]
    rows = model._base_manager.all()
    if cases is not None:
        rows = rows.filter(**{f"{path}__in": cases})
    # A meeting holds its own key and belongs to no case: its "case" column is its own id.
    columns = rows.order_by("pk").values_list("pk", "row_version", f"{path}_id" if path else "pk", *names)
    for pk, version, case_id, *stored in columns.iterator(chunk_size=chunk_size):
        digest = row_digest(model=label, row_id=pk, version=version, ciphertexts=zip(names, stored, strict=True))
        yield LiveRow(pk, version, digest, case_id if path else None)


def _references(findings: list[Finding]) -> dict[tuple[str, int], str]:
    """Case references of the live rows named, one query per model named."""
    by_model: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.case_id is not None:
            by_model.setdefault(finding.model, []).append(finding)
    references: dict[tuple[str, int], str] = {}
    for label, named in by_model.items():
        found = _case_references(apps.get_model(label), {f.case_id for f in named if f.case_id is not None})
        references.update({(label, f.id): found.get(f.case_id, "") for f in named if f.case_id is not None})
    return references


# --- recording rows written before this existed -----------------------------------------------


def rows_record_baseline(*, by: "_User | None" = None, request: "HttpRequest | None" = None, batch_size: int = BULK_BATCH) -> int:
    """Record, as they stand, the rows the chain has never recorded (loaded before row events
    existed). Once, on purpose, and logged: it trusts those rows as they are now. Each batch locks
    its rows, so a save racing with it is recorded after it, never under an older version."""
    total = 0
    for model in encrypted_models():
        total += _baseline_model(model, by=by, request=request, batch_size=batch_size)
    audit.record(event=BASELINE_RECORDED, user=by, request=request, purpose=f"{total} rows recorded as they stood")
    return total


def _baseline_model(model: type["EncryptedModel"], *, by: "_User | None", request: "HttpRequest | None", batch_size: int) -> int:
    label, last, total = model._meta.label_lower, 0, 0
    names = [f.attname for f in model.encrypted_fields()]
    while True:
        with transaction.atomic():
            locked = model._base_manager.filter(pk__gt=last).order_by("pk").select_for_update(of=("self",))
            case_column = f"{model.ENCRYPTION_CASE_PATH}_id" if model.ENCRYPTION_CASE_PATH else "pk"
            batch = list(locked.values_list("pk", "row_version", case_column, *names)[:batch_size])
            if not batch:
                return total
            last = batch[-1][0]
            recorded = chain_rows.recorded_ids(label, [row[0] for row in batch])
            unrecorded = [row for row in batch if row[0] not in recorded]
            references = _case_references(model, {row[2] for row in unrecorded})
            facts = [
                RowFact(
                    label,
                    pk,
                    version,
                    row_digest(model=label, row_id=pk, version=version, ciphertexts=zip(names, stored, strict=True)),
                    references.get(case_id, ""),
                )
                for pk, version, case_id, *stored in unrecorded
            ]
            audit.record_rows(rows=facts, event=chain_rows.ROW_BASELINE, user=by, request=request, purpose="recorded as it stood")
            total += len(facts)


def _case_references(model: type["EncryptedModel"], case_ids: set[int]) -> dict[int, str]:
    if not model.ENCRYPTION_CASE_PATH:
        return {}
    # The case model lives in referrals, which the security core does not import (hence Any).
    case_model: Any = model._meta.get_field(model.ENCRYPTION_CASE_PATH).related_model
    return dict(case_model._base_manager.filter(pk__in=case_ids).values_list("pk", "reference"))
