"""On PostgreSQL the database links each new access event itself (audit migration 0003, ADR 0013)
while verification stays in Python, so the two must agree byte for byte whatever an event holds;
and a restored dump must be judged by the verifier, never quietly relinked by the trigger."""

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

import audit
from audit import chain
from audit.chain import CONTENT, GENESIS, event_hash, verify
from audit.models import AccessEvent
from tests.scratch_db import manage, scratch_env, scratch_postgres

HOSTILE = [
    'quote " backslash \\ slash / brace ] bracket }',
    "controls \b\f\n\r\t \x01 \x1f and DEL \x7f",
    "accents é ñ, 日本語, 🙂 and \u2028",
    "",
    "<script>x</script> ' OR 1=1 --",
    'escapes typed out: \\u007f \\ud83d \\n \\"',
]


def python_hash(event: AccessEvent) -> str:
    return event_hash({name: getattr(event, name) for name in CONTENT})


def test_every_event_hashes_the_same_where_it_is_linked_as_in_the_verifier(db, coordinator):
    for text in HOSTILE:
        audit.record(
            event="case_read", user=coordinator, case_reference=text[:40], fields=[text, "victim.name"], purpose=text, outcome="denied"
        )
    # The same through one append of several events, which travels as arrays.
    chain.append([AccessEvent(event="case_read", case_reference=text[:40], fields=[text], purpose=text) for text in HOSTILE])
    # Times on the second and in another zone: the serialisation is UTC to the microsecond.
    on_the_second = datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC)
    chain.append(
        [
            AccessEvent(at=on_the_second, event="export"),
            AccessEvent(at=on_the_second.astimezone(timezone(timedelta(hours=5, minutes=30))), event="search", fields=[]),
        ]
    )
    events = list(AccessEvent.objects.order_by("sequence"))
    assert [python_hash(event) for event in events] == [event.hash for event in events]
    assert events[0].previous_hash == GENESIS and events[0].fields == sorted([HOSTILE[0], "victim.name"])
    verdict = verify()
    assert verdict.intact and verdict.count == 2 * len(HOSTILE) + 2


def test_one_append_of_many_events_keeps_their_order_and_reports_their_links(db):
    events = [AccessEvent(event="case_read", case_reference=f"NWL-2026-{n:04d}", purpose="case list") for n in (5, 1, 9, 3)]
    chain.append(events)
    stored = list(AccessEvent.objects.order_by("sequence"))
    assert [e.case_reference for e in stored] == ["NWL-2026-0005", "NWL-2026-0001", "NWL-2026-0009", "NWL-2026-0003"]
    assert [(e.pk, e.sequence, e.hash) for e in events] == [(e.pk, e.sequence, e.hash) for e in stored]
    assert verify().intact


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the linking trigger is PostgreSQL's; CI runs this on PostgreSQL too (make test with DATABASE_URL)")


@pytest.mark.django_db
def test_an_insert_from_the_applications_connection_is_linked_by_the_database():
    postgresql_only()
    audit.record(event="case_read", case_reference="NWL-2026-0001")
    with connection.cursor() as cursor:  # no sequence, no hashes: as any careless or hostile INSERT
        cursor.execute(
            f"INSERT INTO {AccessEvent._meta.db_table} (at, event, case_reference, fields, purpose, outcome, client_ip) "
            "VALUES (now(), 'case_read', 'NWL-2026-0002', '[]', '', 'allowed', '')"
        )
    second = AccessEvent.objects.get(case_reference="NWL-2026-0002")
    assert second.sequence == 2 and second.previous_hash == AccessEvent.objects.get(sequence=1).hash
    assert second.hash == python_hash(second) and verify().intact


SOME_EVENTS = "import audit\nfor n in range(5): audit.record(event='case_read', case_reference=f'NWL-2026-{n:04d}', fields=['victim.name'])"


def restore(env: dict, dump: str) -> subprocess.CompletedProcess:
    subprocess.run(
        [shutil.which("psql") or "psql", "-q", "-v", "ON_ERROR_STOP=1", env["DATABASE_URL"]],
        input=dump,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return verify_in(env)


def verify_in(env: dict) -> subprocess.CompletedProcess:
    try:
        return manage(env, "verify_audit_chain")
    except subprocess.CalledProcessError as failed:
        return subprocess.CompletedProcess(failed.cmd, failed.returncode, failed.stdout, failed.stderr)


@pytest.mark.django_db
def test_a_restored_dump_verifies_and_one_with_an_event_cut_out_is_caught():
    postgresql_only()
    with scratch_postgres() as original:
        manage(original, "shell", "-c", SOME_EVENTS)
        dump = subprocess.run(
            [shutil.which("pg_dump") or "pg_dump", "--data-only", "--table=audit_accessevent", original["DATABASE_URL"]],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    third_event = next(line for line in dump.splitlines() if "\tNWL-2026-0002\t" in line)
    with scratch_postgres() as copy:
        intact = restore(copy, dump)
    with scratch_postgres() as cut:
        broken = restore(cut, dump.replace(third_event + "\n", ""))
    assert intact.returncode == 0 and intact.stdout.startswith("Intact: 5 ")
    assert broken.returncode == 1 and "BROKEN at event 3" in broken.stderr


def act_as_least_privilege(cursor) -> None:
    """As the application's role in SECURITY.md (SELECT and INSERT only), until RESET ROLE."""
    table, role = AccessEvent._meta.db_table, "marac_test_least_privilege"
    cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {role}")
    cursor.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {role}")
    cursor.execute(f"SET ROLE {role}")


@pytest.mark.django_db
def test_links_sent_by_a_role_that_does_not_own_the_table_are_ignored():
    postgresql_only()
    audit.record(event="case_read", case_reference="NWL-2026-0001")
    table = AccessEvent._meta.db_table
    with connection.cursor() as cursor:
        act_as_least_privilege(cursor)
        cursor.execute(
            f"INSERT INTO {table} (sequence, previous_hash, hash, at, event, case_reference, fields, purpose, outcome, client_ip) "
            "VALUES (99, %s, %s, now(), 'case_read', 'NWL-2026-0002', '[]', '', 'allowed', '')",
            ["f" * 64, "e" * 64],
        )
        cursor.execute("RESET ROLE")
    forged = AccessEvent.objects.get(case_reference="NWL-2026-0002")
    assert (forged.sequence, forged.previous_hash) == (2, AccessEvent.objects.get(sequence=1).hash)
    assert forged.hash == python_hash(forged) and verify().intact  # the role's own, correctly linked


@pytest.mark.django_db
def test_a_temporary_table_cannot_stand_in_for_the_chains_head():
    postgresql_only()
    audit.record(event="case_read", case_reference="NWL-2026-0001")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute("CREATE TEMP TABLE audit_accessevent (sequence bigint, hash text)")
        cursor.execute("INSERT INTO audit_accessevent VALUES (41, 'fakehead')")  # the temporary one
        cursor.execute(
            f'INSERT INTO "{schema}".audit_accessevent (at, event, case_reference, fields, purpose, outcome, client_ip) '
            "VALUES (now(), 'case_read', 'NWL-2026-0002', '[]', '', 'allowed', '')"
        )
        cursor.execute("DROP TABLE pg_temp.audit_accessevent")
    assert AccessEvent.objects.get(case_reference="NWL-2026-0002").sequence == 2 and verify().intact


@pytest.mark.django_db
@pytest.mark.parametrize("fields", ["[1]", '[["victim.name"]]', '{"victim.name": true}', "[null]"])
def test_fields_the_verifier_could_not_read_back_are_refused(fields):
    postgresql_only()
    with pytest.raises(DatabaseError, match="list of field names"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AccessEvent._meta.db_table} (at, event, case_reference, fields, purpose, outcome, client_ip) "
            "VALUES (now(), 'case_read', 'NWL-2026-0002', %s::jsonb, '', 'allowed', '')",
            [fields],
        )
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_long_run_of_accented_letters_is_escaped_in_linear_time():
    postgresql_only()
    started = time.perf_counter()
    chain.append([AccessEvent(event="case_read", fields=["é" * 50_000])])
    assert time.perf_counter() - started < 5  # the letter-by-letter version took over a minute for 400,000
    assert verify().intact


@pytest.mark.django_db
def test_the_escaping_holds_whatever_standard_conforming_strings_says():
    postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL standard_conforming_strings = off")
        audit.record(event="case_read", case_reference="NWL-2026-0001", purpose="café 🙂")
    assert verify().intact


@pytest.mark.django_db
def test_migrating_a_database_that_is_not_utf8_is_refused():
    postgresql_only()
    server = connection.settings_dict
    admin = {"host": server["HOST"] or "127.0.0.1", "port": server["PORT"] or 5432, "user": server["USER"], "dbname": "postgres"}
    name = "marac_scratch_latin1"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        env = scratch_env(f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}")
        with pytest.raises(subprocess.CalledProcessError) as failed:
            manage(env, "migrate", "-v0")
        assert "The database must use UTF8, not LATIN1" in failed.value.stderr
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- a bulk load's appends: linked here under the trigger's lock, written with COPY (ADR 0032) ---


def bulk_of(count: int, *, start: int = 0) -> list[AccessEvent]:
    """`count` row events, hostile text among them, enough to take the COPY path."""
    return [
        AccessEvent(
            event="row_written",
            case_reference=f"NWL-2026-{n:04d}",
            purpose=HOSTILE[n % len(HOSTILE)],
            fields=[HOSTILE[n % len(HOSTILE)]] if n % 3 else [],
            row_model="referrals.victim",
            row_id=n,
            row_version=1,
            row_digest=f"{n:064x}",
        )
        for n in range(start, start + count)
    ]


@pytest.mark.django_db
def test_a_bulk_append_is_linked_here_and_hashes_as_the_trigger_would_have():
    postgresql_only()
    audit.record(event="case_read", case_reference="NWL-2026-0001")
    events = bulk_of(chain.COPY_FROM)
    chain.append(events)
    audit.record(event="case_read", case_reference="NWL-2026-9999")  # the trigger links on from the bulk's last
    stored = list(AccessEvent.objects.order_by("sequence"))
    assert [event.sequence for event in stored] == list(range(1, chain.COPY_FROM + 3))
    assert [event.hash for event in stored] == [python_hash_with_row(event) for event in stored]
    assert [(event.pk, event.sequence, event.hash) for event in events] == [(e.pk, e.sequence, e.hash) for e in stored[1:-1]]
    assert stored[1].previous_hash == stored[0].hash and stored[-1].previous_hash == stored[-2].hash
    verdict = verify()
    assert verdict.intact and verdict.count == chain.COPY_FROM + 2


def python_hash_with_row(event: AccessEvent) -> str:
    return event_hash({name: getattr(event, name) for name in chain.HASHED})


@pytest.mark.django_db
def test_a_bulk_append_by_a_role_that_does_not_own_the_table_is_relinked_by_the_trigger_to_the_same_chain():
    postgresql_only()
    audit.record(event="case_read", case_reference="NWL-2026-0001")
    with connection.cursor() as cursor:
        act_as_least_privilege(cursor)
    try:
        events = bulk_of(chain.COPY_FROM)
        chain.append(events)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    stored = list(AccessEvent.objects.order_by("sequence"))
    assert [(e.sequence, e.previous_hash, e.hash) for e in stored[1:]] == [(e.sequence, e.previous_hash, e.hash) for e in events]
    assert verify().intact and verify().count == chain.COPY_FROM + 1


@pytest.mark.django_db
@pytest.mark.parametrize("fields", [[1], [["victim.name"]], {"victim.name": True}, [None]])
def test_a_bulk_append_refuses_fields_the_verifier_could_not_read_back(fields):
    postgresql_only()
    events = bulk_of(chain.COPY_FROM)
    events[7].fields = fields
    with pytest.raises(ValueError, match="list of field names"):
        chain.append(events)
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_bulk_append_refuses_a_time_the_trigger_would_refuse():
    postgresql_only()
    events = bulk_of(chain.COPY_FROM)
    events[-1].at = datetime(9999, 12, 31, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="time out of range"):
        chain.append(events)
    assert not AccessEvent.objects.exists()


@pytest.mark.django_db
def test_a_bulk_append_refuses_a_time_given_as_text_and_text_longer_than_its_column():
    """The trigger would parse a text time, and PostgreSQL would cut trailing spaces past a
    column's length: either way what is stored would not be what was hashed here."""
    postgresql_only()
    as_text = bulk_of(chain.COPY_FROM)
    as_text[3].at = "2026-01-01T00:00:00Z"
    with pytest.raises(TypeError, match="datetime"):
        chain.append(as_text)
    too_long = bulk_of(chain.COPY_FROM)
    too_long[5].purpose = "x" * 120 + "   "
    with pytest.raises(ValueError, match="longer than its column"):
        chain.append(too_long)
    assert not AccessEvent.objects.exists()
