"""The hash chain over access events.

hash = SHA-256 of a canonical JSON serialisation of the event's content (sequence, time in UTC to
the microsecond, user id, event, case reference, fields, purpose, outcome, client address), the
previous event's hash and, for a row event only (ADR 0023), the row's model, id, version and
digest. The first event's previous hash is 64 zeros. Sequences run 1, 2, 3... without gaps, so
a deleted event shows as a gap even if the links around it were rewritten.

Who links a new event (ADR 0013): on PostgreSQL, the database, in a BEFORE INSERT trigger that
holds a transaction-level advisory lock (audit migration 0003), so an append is one statement; on
SQLite, this module, serialised by SQLite's single writer, with the unique sequence catching the
rare read-read-write race (the append is retried). Verification is always here.

A bulk load's appends of thousands of entries (ADR 0032) are linked here on PostgreSQL too, under
the trigger's own advisory lock, and written with COPY: the trigger keeps links that arrive set
when the table's owner writes them, and relinks them, to the same values, for anyone else.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from audit.models import AccessEvent

if TYPE_CHECKING:
    from audit.rows import RowFact

GENESIS = "0" * 64
CONTENT = ("sequence", "at", "user_id", "event", "case_reference", "fields", "purpose", "outcome", "client_ip", "previous_hash")
# A row event (ADR 0023) also hashes the row it records, after the rest; any other event, and
# every event written before rows were recorded, hashes CONTENT alone, as it always did.
ROW = ("row_model", "row_id", "row_version", "row_digest")
HASHED = CONTENT + ROW
AT = CONTENT.index("at")
RETRIES = 5
# The transaction-level advisory lock every appender on PostgreSQL holds (audit migration 0003).
CHAIN_LOCK_ID = 0x6D61726163
# From this many events in one append, linking here and one COPY beat the trigger linking row by
# row (about 75 µs an event): only bulk loads send so many; a request's appends stay below it.
COPY_FROM = 500
EARLIEST, LATEST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)  # the trigger's bounds
# json.dumps(content, separators=(",", ":"), ensure_ascii=True), without building an encoder for
# every event verified. The database's trigger writes the same (audit migration 0003).
_json_array = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def canonical(values: dict) -> bytes:
    """A JSON array of the content in CONTENT's fixed order: as unambiguous as a sorted object,
    and cheaper to build, which matters when verifying millions of events."""
    content = [values[name] for name in CONTENT]
    if values.get("row_model") is not None:
        content += [values[name] for name in ROW]
    if not isinstance(content[AT], str):  # PostgreSQL's verification reads it already formatted
        content[AT] = _canonical_at(content[AT])
    return _json_array(content).encode("ascii")


def event_hash(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def append(events: list[AccessEvent]) -> None:
    """Chain and store the events, in order, as one append."""
    if not events:
        return
    if copies(len(events)):
        _append_linked_here_by_copy(events)
    elif connection.vendor == "postgresql":
        _append_linked_by_database(events)
    else:
        _append_linked_here(events)


# The trigger fills in sequence, previous_hash and hash. One event, the usual case, goes as plain
# VALUES (the cheapest statement to plan); several go as one array per column, ordered by
# `position`, so the SQL text never changes and a fifty-case list still costs one round trip.
# The table and column names are the model's own, not input; every value is a parameter.
SENT = "at, user_id, event, case_reference, fields, purpose, outcome, client_ip, row_model, row_id, row_version, row_digest"
LINKED = "RETURNING id, sequence, previous_hash, hash"
TABLE = AccessEvent._meta.db_table
HEAD = f"SELECT sequence, hash FROM {TABLE} ORDER BY sequence DESC LIMIT 1"  # noqa: S608  # nosec B608
INSERT_ONE = f"INSERT INTO {TABLE} ({SENT}) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s) {LINKED}"  # noqa: S608  # nosec B608
INSERT_MANY = (
    f"INSERT INTO {TABLE} ({SENT}) SELECT {SENT.replace('fields', 'fields::jsonb')} "  # noqa: S608  # nosec B608
    "FROM unnest(%s::timestamptz[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::text[], %s::bigint[], %s::integer[], %s::text[]) "
    f"WITH ORDINALITY AS sent({SENT}, position) "
    f"ORDER BY position {LINKED}"
)


def _append_linked_by_database(events: list[AccessEvent]) -> None:
    # No explicit transaction: one statement is atomic on its own, and every round trip saved
    # counts on every audited request.
    rows = [
        (
            event.at,
            event.user_id,
            event.event,
            event.case_reference,
            json.dumps(event.fields),
            event.purpose,
            event.outcome,
            event.client_ip,
            event.row_model,
            event.row_id,
            event.row_version,
            event.row_digest,
        )
        for event in events
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(INSERT_ONE, rows[0])
        else:
            cursor.execute(INSERT_MANY, [list(column) for column in zip(*rows, strict=True)])
        # Sequences follow the order sent; sorting by them does not rely on RETURNING's order.
        linked = sorted(cursor.fetchall(), key=lambda row: row[1])
    for event, (pk, sequence, previous_hash, own_hash) in zip(events, linked, strict=True):
        event.pk, event.sequence, event.previous_hash, event.hash = pk, sequence, previous_hash, own_hash
        event._state.adding, event._state.db = False, connection.alias


# The columns COPY writes, the links and the id included; the table's name is the model's own.
COPIED = ("id", "sequence", "previous_hash", "hash", *(name.strip() for name in SENT.split(",")))
COPY_IN = f"COPY {TABLE} ({', '.join(COPIED)}) FROM STDIN"


def copies(count: int) -> bool:
    """Whether an append of `count` events goes by COPY, linked here (a bulk load's)."""
    return connection.vendor == "postgresql" and count >= COPY_FROM


def append_rows(rows: "list[RowFact]", *, user_id: int | None, event: str, purpose: str, client_ip: str) -> None:
    """A bulk load's row entries (ADR 0023) by COPY: what append() writes for their AccessEvents,
    without building a model instance for each (a third of the chain's share of a load). One time
    for all, already in the canonical form, which PostgreSQL reads as the timestamp it is."""
    at, allowed = _canonical_at(timezone.now()), AccessEvent.Outcome.ALLOWED.value  # read once: an enum's value costs a lookup
    limit = AccessEvent._meta.get_field("case_reference").max_length
    _link_and_copy(
        [
            {
                "at": at,
                "user_id": user_id,
                "event": event,
                "case_reference": row.case_reference[:limit],
                "fields": [],
                "purpose": purpose,
                "outcome": allowed,
                "client_ip": client_ip,
                "row_model": row.model,
                "row_id": row.id,
                "row_version": row.version,
                "row_digest": row.digest,
            }
            for row in rows
        ]
    )


def _append_linked_here_by_copy(events: list[AccessEvent]) -> None:
    if not all(isinstance(event.at, datetime) for event in events):
        raise TypeError("an access event's time is a datetime")  # the trigger would parse a text time; this path hashes it as given
    values = [{name: getattr(event, name) for name in COPIED[4:]} for event in events]
    _link_and_copy(values)
    for event, linked in zip(events, values, strict=True):
        event.pk, event.sequence = linked["id"], linked["sequence"]
        event.previous_hash, event.hash = linked["previous_hash"], linked["hash"]
        event._state.adding, event._state.db = False, connection.alias


def _link_and_copy(values: list[dict[str, Any]]) -> None:
    """The trigger's lock taken first, the head read after it (so it is the head the last holder
    committed), the events linked here and written with one COPY. The lock is held to the end of
    the caller's transaction, as an INSERT's trigger holds it. Each event's content but its links
    is put in its canonical form before the lock: the other loads wait only for the hashing."""
    _refuse_what_the_trigger_would(values)
    unlinked = [_canonical_without_links(event) for event in values]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])
        cursor.execute(HEAD)
        sequence, previous = cursor.fetchone() or (0, GENESIS)
        quoted = _json_array([previous])[1:-1]  # the head as read; every later one a digest made here
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [TABLE, len(values)])
        for event, (middle, row), (pk,) in zip(values, unlinked, sorted(cursor.fetchall()), strict=True):
            sequence += 1
            event["id"], event["sequence"], event["previous_hash"] = pk, sequence, previous
            event["hash"] = previous = hashlib.sha256(_assembled(sequence, middle, quoted, row)).hexdigest()
            quoted = f'"{previous}"'
        with cursor.copy(COPY_IN) as copy:
            for event in values:
                copy.write_row([_json_array(event[name]) if name == "fields" else event[name] for name in COPIED])


def _canonical_without_links(event: dict[str, Any]) -> tuple[str, str]:
    """canonical(event) but for its sequence and previous hash, which only the lock's holder
    knows: the JSON of the content between them, and of the row's facts after them ("" for an
    event without a row). Each element of a JSON array is encoded on its own, so the parts joined
    with commas are the whole array's encoding."""
    at = event["at"] if isinstance(event["at"], str) else _canonical_at(event["at"])
    middle = _json_array([at, *(event[name] for name in CONTENT[AT + 1 : -1])])[1:-1]
    row = "" if event.get("row_model") is None else "," + _json_array([event[name] for name in ROW])[1:-1]
    return middle, row


def _assembled(sequence: int, middle: str, quoted_previous: str, row: str) -> bytes:
    """canonical(event) from its parts: [sequence, the rest of CONTENT, previous hash, ROW]."""
    return f"[{sequence},{middle},{quoted_previous}{row}]".encode("ascii")


def _refuse_what_the_trigger_would(values: list[dict[str, Any]]) -> None:
    """The trigger's own checks, which it skips for links that arrive set: field names only and a
    time Python can hold, so the verifier reads back exactly what was hashed."""
    for event in values:
        fields = event["fields"]
        if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
            raise ValueError("audit event fields must be a list of field names")
        if isinstance(event["at"], datetime) and not EARLIEST <= event["at"] < LATEST:
            raise ValueError("audit event time out of range")
        # PostgreSQL would cut an over-long text whose excess is spaces, and store what was not hashed.
        if any(len(event[name] or "") > limit for name, limit in TEXT_LIMITS):
            raise ValueError("audit event text longer than its column")


TEXT_LIMITS = [(f.name, f.max_length) for f in AccessEvent._meta.concrete_fields if f.max_length and f.name in COPIED[4:]]  # what is sent


def _canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _append_linked_here(events: list[AccessEvent]) -> None:
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                _link(events)
                AccessEvent.objects.bulk_create(events)
            return
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise


def _link(events: list[AccessEvent]) -> None:
    # A statement of its own inside the append's transaction, so it reads the latest head.
    with connection.cursor() as cursor:
        # The table name is the model's own, not input; there are no parameters.
        cursor.execute(HEAD)
        sequence, previous = cursor.fetchone() or (0, GENESIS)
    for event in events:
        sequence += 1
        event.sequence, event.previous_hash = sequence, previous
        event.hash = previous = event_hash({name: getattr(event, name) for name in HASHED})


@dataclass(frozen=True)
class Verdict:
    count: int
    head_hash: str
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(chunk_size: int = 20000) -> Verdict:
    """Walk the whole chain; stop at the first event that does not follow from the one before."""
    previous, expected, count = GENESIS, 1, 0
    for row in _in_order(chunk_size):
        if row["sequence"] != expected:
            return Verdict(count, previous, expected, f"event {expected} is missing")
        if row["previous_hash"] != previous:
            return Verdict(count, previous, row["sequence"], "it does not link to the event before it")
        if event_hash(row) != row["hash"]:
            return Verdict(count, previous, row["sequence"], "its content was changed after it was written")
        previous, expected, count = row["hash"], expected + 1, count + 1
    return Verdict(count, previous)


# The time as the canonical form writes it (the linking trigger's own expression, built into
# PostgreSQL): parsing every timestamp in Python took a third of a PostgreSQL verification.
AT_IN_UTC = RawSQL("to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00'", [])
WITHOUT_AT = [name for name in HASHED if name != "at"]


def _in_order(chunk_size: int) -> Iterator[dict[str, Any]]:
    events = AccessEvent.objects.order_by("sequence")
    if connection.vendor != "postgresql":
        yield from events.values(*HASHED, "hash").iterator(chunk_size=chunk_size)
        return
    for row in events.values(*WITHOUT_AT, "hash", at_in_utc=AT_IN_UTC).iterator(chunk_size=chunk_size):
        row["at"] = row.pop("at_in_utc")
        yield row
