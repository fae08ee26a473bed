"""Row events: the chain's record of each write of a record holding victim data (ADR 0023).

Each save writes the row's model, id, version and a digest of its ciphertexts into the chain, in
the save's own transaction. Comparing every live row with the latest chain entry for it then
names a row put back from a backup (its version is lower than the chain's), a row changed outside
the service (same version, another digest, or a version the chain never saw), a row removed
outside the service, and a row the chain has never recorded (written before this existed).

The log's core imports nothing from the project: the caller (marac.security.row_versions) knows
the models and works out digests; this module only writes and reads the chain's side.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet

from audit.models import AccessEvent

ROW_WRITTEN = "row_written"
ROW_DELETED = "row_deleted"
ROW_BASELINE = "row_baseline"  # a row found unrecorded and recorded as it stood (verify_rows --record-baseline)
ROW_EVENTS = (ROW_WRITTEN, ROW_DELETED, ROW_BASELINE)
ROWS_VERIFIED = "rows_verified"


class RowFact(NamedTuple):
    """One row as written: `model` is the app label and model name ("referrals.victim")."""

    model: str
    id: int
    version: int
    digest: str  # hex SHA-256; "" for a deletion
    case_reference: str = ""


class LiveRow(NamedTuple):
    id: int
    version: int
    digest: str
    case_id: int | None


class Kind:
    WENT_BACK = "went back"  # older than the chain's latest, or present though the chain says deleted
    CHANGED = "changed outside the service"  # the chain's version, another digest; or a version it never saw
    MISSING = "missing"  # the chain's latest entry says it exists
    NOT_RECORDED = "not yet recorded"  # live, never in the chain: not a failure

    FAILING = (WENT_BACK, CHANGED, MISSING)


@dataclass(frozen=True)
class Finding:
    kind: str
    model: str
    id: int
    live_version: int | None
    chain_version: int | None
    case_id: int | None = None  # from the live row
    case_reference: str = ""  # from the chain's entry (all a missing row has left)


class Latest(NamedTuple):
    id: int
    version: int
    digest: str
    event: str
    case_reference: str


def latest_entries(model: str, *, events: QuerySet[AccessEvent] | None = None, chunk_size: int = 5000) -> Iterator[Latest]:
    """The latest chain entry of each row of `model`, in row id order, streamed (the partial index
    audit_row_latest_idx gives the order without a sort).

    A row's versions never go down and nothing follows its deletion, so an entry that would take
    the row back (a lower version, or any entry after a deletion) is not taken as its latest: the
    database role may append to the chain, and someone who put a row back could otherwise append
    a copy of the old entry to match it. Equal versions are taken (two saves racing)."""
    entries = (events if events is not None else AccessEvent.objects.all()).filter(row_model=model)
    ordered = entries.order_by("row_id", "sequence").values_list("row_id", "row_version", "row_digest", "event", "case_reference")
    held: Latest | None = None
    for row_id, version, digest, event, case_reference in ordered.iterator(chunk_size=chunk_size):
        # A row event always has its id, version and digest ("" for a deletion): the filter above.
        entry = Latest(row_id or 0, version or 0, digest or "", event, case_reference)
        if held is not None and held.id != entry.id:
            yield held
            held = None
        if held is None or (held.event != ROW_DELETED and entry.version >= held.version):
            held = entry
    if held is not None:
        yield held


def compare(model: str, live: Iterable[LiveRow], chain: Iterable[Latest]) -> Iterator[Finding]:
    """Merge the live rows and the chain's latest entries, both in id order, naming every row whose
    live state is not what the chain last recorded."""
    rows, entries = iter(live), iter(chain)
    row, entry = next(rows, None), next(entries, None)
    while row is not None or entry is not None:
        if row is not None and (entry is None or row.id < entry.id):
            yield Finding(Kind.NOT_RECORDED, model, row.id, row.version, None, row.case_id)
            row = next(rows, None)
        elif entry is not None and (row is None or entry.id < row.id):
            if entry.event != ROW_DELETED:
                yield Finding(Kind.MISSING, model, entry.id, None, entry.version, None, entry.case_reference)
            entry = next(entries, None)
        elif row is not None and entry is not None:  # the same row, live and in the chain
            kind = _judged(row, entry)
            if kind:
                yield Finding(kind, model, row.id, row.version, entry.version, row.case_id, entry.case_reference)
            row, entry = next(rows, None), next(entries, None)


def _judged(row: LiveRow, entry: Latest) -> str:
    if entry.event == ROW_DELETED or row.version < entry.version:
        return Kind.WENT_BACK
    if row.version > entry.version or row.digest != entry.digest:
        return Kind.CHANGED
    return ""


def recorded_ids(model: str, ids: Iterable[int]) -> set[int]:
    """Which of these rows of `model` the chain has an entry for."""
    found = AccessEvent.objects.filter(row_model=model, row_id__in=list(ids)).values_list("row_id", flat=True).distinct()
    return {row_id for row_id in found if row_id is not None}
