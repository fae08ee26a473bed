"""The hash chain over access events.

hash = SHA-256 of a canonical JSON serialisation of the event's content (sequence, time in UTC to
the microsecond, user id, event, case reference, fields, purpose, outcome, client address) and
the previous event's hash. The first event's previous hash is 64 zeros. Sequences run 1, 2, 3...
without gaps, so a deleted event shows as a gap even if the links around it were rewritten.

Appends are serialised: on PostgreSQL by a transaction-level advisory lock held until commit; on
SQLite by its single writer, with the unique sequence catching the rare read-read-write race
(the append is retried).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import IntegrityError, connection, transaction

from audit.models import AccessEvent

GENESIS = "0" * 64
CHAIN_LOCK_ID = 0x6D61726163  # "marac": the advisory lock key for appends
CONTENT = ("sequence", "at", "user_id", "event", "case_reference", "fields", "purpose", "outcome", "client_ip", "previous_hash")
AT = CONTENT.index("at")
RETRIES = 5


def canonical(values: dict) -> bytes:
    """A JSON array of the content in CONTENT's fixed order: as unambiguous as a sorted object,
    and cheaper to build, which matters when verifying millions of events."""
    content = [values[name] for name in CONTENT]
    content[AT] = values["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(content, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def event_hash(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def append(events: list[AccessEvent]) -> None:
    """Chain and store the events, in order, as one append."""
    if not events:
        return
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                _lock_head()
                _link(events)
                AccessEvent.objects.bulk_create(events)
            return
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise


def _lock_head() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


def _link(events: list[AccessEvent]) -> None:
    # A statement of its own, after the lock: under READ COMMITTED it then sees the latest head.
    # Plain SQL because this runs on every audited request and the ORM's overhead was most of it.
    with connection.cursor() as cursor:
        # The table name is the model's own, not input; there are no parameters.
        cursor.execute(f"SELECT sequence, hash FROM {AccessEvent._meta.db_table} ORDER BY sequence DESC LIMIT 1")  # nosec B608
        sequence, previous = cursor.fetchone() or (0, GENESIS)
    for event in events:
        sequence += 1
        event.sequence, event.previous_hash = sequence, previous
        event.hash = previous = event_hash({name: getattr(event, name) for name in CONTENT})


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
    rows = AccessEvent.objects.order_by("sequence").values(*CONTENT, "hash").iterator(chunk_size=chunk_size)
    for row in rows:
        if row["sequence"] != expected:
            return Verdict(count, previous, expected, f"event {expected} is missing")
        if row["previous_hash"] != previous:
            return Verdict(count, previous, row["sequence"], "it does not link to the event before it")
        if event_hash(row) != row["hash"]:
            return Verdict(count, previous, row["sequence"], "its content was changed after it was written")
        previous, expected, count = row["hash"], expected + 1, count + 1
    return Verdict(count, previous)
