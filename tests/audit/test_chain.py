"""The access log is a verified, append-only hash chain that tampering cannot get past unnoticed."""

import hashlib
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import audit
from audit.chain import GENESIS, verify
from audit.models import AccessEvent
from tests.scratch_db import python_in_scratch_postgres

TABLE = AccessEvent._meta.db_table


def some_events(count: int) -> None:
    for n in range(count):
        audit.record(event="case_read", case_reference=f"NWL-2026-{n:04d}", fields=["name"], purpose="test")


def without_triggers(statement: str, params: list) -> None:
    """What a database superuser could do: switch the triggers off, then write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE needs no checks pending
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_accessevent_no_change")
            cursor.execute(statement, params)
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE ALWAYS TRIGGER audit_accessevent_no_change")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_accessevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_accessevent_no_delete")
            cursor.execute(statement, params)


def test_events_chain_from_the_genesis_and_verify(db):
    some_events(5)
    events = list(AccessEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == GENESIS
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    verdict = verify()
    assert verdict.intact and verdict.count == 5 and verdict.head_hash == events[-1].hash


@pytest.mark.parametrize(
    "event",
    [
        {
            "at": "2026-12-03T09:00:00.000001+00:00",
            "user_id": 7,
            "event": "row_written",
            "case_reference": "NWL-2026-0001",
            "fields": [],
            "purpose": "import",
            "outcome": "allowed",
            "client_ip": "",
            "row_model": "referrals.victim",
            "row_id": 12,
            "row_version": 1,
            "row_digest": "ab" * 32,
        },
        {
            "at": datetime(2026, 12, 3, 9, tzinfo=UTC),
            "user_id": None,
            "event": "case_read",
            "case_reference": 'Zoë "quoted" \\ \x7f',
            "fields": ["name", "safe_address"],
            "purpose": "ünïcode",
            "outcome": "denied",
            "client_ip": "::1",
            "row_model": None,
            "row_id": None,
            "row_version": None,
            "row_digest": None,
        },
    ],
)
def test_an_event_put_in_canonical_form_before_its_links_hashes_as_canonical_does(event):
    """Bulk appends assemble each event's canonical form around its links (ADR 0032): the hash
    must be the very one the verifier recomputes."""
    from audit.chain import _assembled, _canonical_without_links, event_hash

    middle, row = _canonical_without_links(event)
    linked = {**event, "sequence": 41, "previous_hash": "0f" * 32}
    assert hashlib.sha256(_assembled(41, middle, f'"{"0f" * 32}"', row)).hexdigest() == event_hash(linked)


def test_a_realistic_demo_session_leaves_a_verified_chain(db, client):
    from django.test import Client

    from marac.models import User
    from referrals.models import Case
    from tests.conftest import sign_in_with_both_factors

    call_command("seed_demo", "--without-packs", stdout=StringIO())
    for username in ("referrer", "coordinator", "chair", "auditor"):
        browser = sign_in_with_both_factors(Client(), User.objects.get(username=username))
        browser.get("/cases/")
        for case in Case.objects.all():
            browser.get(f"/cases/{case.reference}/")
        browser.get("/referrals/triage/")
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue().startswith("Intact: ") and AccessEvent.objects.count() > 50


@pytest.mark.parametrize("statement", [f"UPDATE {TABLE} SET purpose = 'x' WHERE sequence = 3", f"DELETE FROM {TABLE} WHERE sequence = 3"])
def test_the_applications_connection_cannot_change_or_delete_events(db, statement):
    some_events(5)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(sequence=2).delete()
    assert verify().intact and AccessEvent.objects.count() == 5


def test_a_superuser_changing_one_event_is_detected(db):
    some_events(6)
    without_triggers(f"UPDATE {TABLE} SET case_reference = %s WHERE sequence = 4", ["NWL-2026-9999"])
    verdict = verify()
    assert verdict.broken_at == 4 and "changed" in verdict.reason
    err = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_audit_chain", stderr=err)
    assert exit_code.value.code == 1 and "BROKEN at event 4" in err.getvalue()


def test_a_superuser_deleting_one_event_is_detected(db):
    some_events(6)
    without_triggers(f"DELETE FROM {TABLE} WHERE sequence = 3", [])
    verdict = verify()
    assert verdict.broken_at == 3 and "missing" in verdict.reason


def test_rewriting_the_links_after_a_deletion_still_leaves_a_gap(db):
    some_events(4)
    third = AccessEvent.objects.get(sequence=3)
    without_triggers(f"DELETE FROM {TABLE} WHERE sequence = 2", [])
    without_triggers(f"UPDATE {TABLE} SET previous_hash = %s WHERE sequence = 3", [AccessEvent.objects.get(sequence=1).hash])
    assert third.previous_hash != AccessEvent.objects.get(sequence=1).hash
    assert verify().broken_at == 2


def test_a_kept_digest_catches_events_cut_off_the_end(db):
    some_events(5)
    out = StringIO()
    call_command("export_audit_digest", stdout=out)
    digest = out.getvalue().split()[0]
    call_command("verify_audit_chain", "--digest", digest, stdout=StringIO())  # intact: no exit
    without_triggers(f"DELETE FROM {TABLE} WHERE sequence = 5", [])
    assert verify().intact  # the chain alone cannot tell...
    with pytest.raises(SystemExit):
        call_command("verify_audit_chain", "--digest", digest, stdout=StringIO(), stderr=StringIO())  # ...the digest can


CONCURRENT = """
import threading, django
django.setup()
from django.db import connection
import audit
from audit.chain import verify

def worker(n):
    for i in range(200):
        audit.record(event="case_read", case_reference=f"T{n}-{i}", purpose="concurrency")
    connection.close()

threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
verdict = verify()
print(verdict.intact, verdict.count)
"""


# A bulk load's appends (linked in Python under the trigger's lock, ADR 0032) among ordinary ones.
CONCURRENT_WITH_BULK = """
import threading, django
django.setup()
from django.db import connection
import audit
from audit import chain
from audit.models import AccessEvent
from audit.chain import verify

def one_at_a_time(n):
    for i in range(100):
        audit.record(event="case_read", case_reference=f"T{n}-{i}", purpose="concurrency")
    connection.close()

def in_bulk(n):
    for i in range(2):
        chain.append([AccessEvent(event="row_written", case_reference=f"B{n}-{i}-{j}") for j in range(chain.COPY_FROM)])
    connection.close()

threads = [threading.Thread(target=one_at_a_time, args=(n,)) for n in range(6)]
threads += [threading.Thread(target=in_bulk, args=(n,)) for n in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
verdict = verify()
print(verdict.intact, verdict.count == 600 + 4 * chain.COPY_FROM)
"""


@pytest.mark.django_db
def test_bulk_appends_among_threads_appending_one_at_a_time_leave_one_unforked_chain_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    assert python_in_scratch_postgres(CONCURRENT_WITH_BULK).split()[-2:] == ["True", "True"]


@pytest.mark.django_db
def test_eight_threads_appending_leave_one_unforked_chain_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    assert python_in_scratch_postgres(CONCURRENT).split()[-2:] == ["True", "1600"]
