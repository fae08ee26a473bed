"""A whole row put back from a backup (every ciphertext with its old version) reads as current,
so each write of a record holding victim data goes into the audit chain, and verify_rows and the
auditor's chain page name every row that is not as the chain last recorded it (ADR 0023)."""

import subprocess
import sys
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

import audit
from audit.chain import CONTENT, canonical, verify
from audit.models import AccessEvent
from audit.rows import RowFact
from marac.models import Role
from marac.security.row_versions import row_digest
from referrals.models import Perpetrator, Victim
from tests.conftest import make_person, sign_in_with_both_factors

VICTIM_TABLE = Victim._meta.db_table


def columns_of(row) -> dict:
    """The row's ciphertexts and version as stored: what a backup holds."""
    names = [f.column for f in type(row).encrypted_fields()] + ["row_version"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(names)} FROM {row._meta.db_table} WHERE id = %s", [row.pk])
        return {
            name: (bytes(value) if isinstance(value, memoryview) else value) for name, value in zip(names, cursor.fetchone(), strict=True)
        }


def put_back(row, columns: dict) -> None:
    """What someone with database write access does with a backup: the old row, whole."""
    assignments = ", ".join(f"{name} = %s" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {row._meta.db_table} SET {assignments} WHERE id = %s", [*columns.values(), row.pk])


def verify_rows(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_rows", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def latest_entry(row) -> AccessEvent:
    return AccessEvent.objects.filter(row_model=row._meta.label_lower, row_id=row.pk).order_by("-sequence").first()


def saved_again(victim: Victim, **changes) -> Victim:
    victim = Victim.objects.get(pk=victim.pk)
    for name, value in changes.items():
        setattr(victim, name, value)
    victim.save()
    return victim


@pytest.fixture
def put_back_victim(case_a):
    """Case A's victim moved to a refuge, then the row from before the move put back."""
    before = columns_of(case_a.victim)
    saved_again(case_a.victim, safe_address="Refuge, 1 Hidden Lane")
    put_back(case_a.victim, before)
    return case_a


def test_saving_a_record_writes_its_version_and_digest_into_the_chain(case_a):
    victim = saved_again(case_a.victim, safe_phone="07700 900999")
    entry = latest_entry(victim)
    stored = columns_of(victim)
    names = [f.attname for f in Victim.encrypted_fields()]
    expected = row_digest(
        model="referrals.victim", row_id=victim.pk, version=stored["row_version"], ciphertexts=[(n, stored[n]) for n in names]
    )
    assert (entry.event, entry.row_version, entry.row_digest, entry.case_reference) == (
        "row_written",
        victim.row_version,
        expected,
        case_a.reference,
    )
    assert entry.fields == [] and "07700" not in entry.purpose
    assert verify().intact


def test_a_change_through_a_service_is_recorded_as_the_person_who_made_it(case_a, referrer, coordinator):
    from referrals.services import victim_update

    victim = Victim.objects.select_related("case__data_key").get(pk=case_a.victim.pk)
    victim_update(victim=victim, changes={"safe_times": "Weekday mornings"}, expected_version=victim.row_version, by=coordinator)
    entry = latest_entry(victim)
    assert entry.user == coordinator and entry.row_version == Victim.objects.get(pk=victim.pk).row_version
    assert "Weekday" not in entry.purpose and entry.fields == []


def test_an_event_without_a_row_hashes_as_events_always_did(db):
    """Every event written before rows were recorded must still verify."""
    old = {"sequence": 7, "at": "2026-01-01T00:00:00.000000+00:00", "user_id": 3, "event": "case_read", "case_reference": "NWL-2026-0001"}
    old |= {"fields": ["name"], "purpose": "case page", "outcome": "allowed", "client_ip": "10.0.0.1", "previous_hash": "0" * 64}
    assert list(old) == list(CONTENT)
    with_empty_row = old | {"row_model": None, "row_id": None, "row_version": None, "row_digest": None}
    assert canonical(with_empty_row) == canonical(old)
    assert canonical(old | {"row_model": "referrals.victim", "row_id": 1, "row_version": 2, "row_digest": "ab"}) != canonical(old)


def test_untouched_rows_pass_and_the_run_is_recorded(case_a, case_b):
    code, out, err = verify_rows()
    assert code == 0 and err == ""
    assert "0 went back, 0 changed outside the service, 0 missing, 0 not yet recorded" in out
    run = AccessEvent.objects.filter(event="rows_verified").get()
    assert run.outcome == "allowed" and "0 went back" in run.purpose


def test_a_whole_row_put_back_reads_as_current_but_is_named(put_back_victim):
    victim = Victim.objects.get(pk=put_back_victim.victim.pk)
    assert victim.safe_address == "Flat 2, 9 Ashby Road, Shepshed"  # the threat: it reads fine
    code, _, err = verify_rows()
    assert code == 1
    assert f"WENT BACK: referrals.victim {victim.pk} ({put_back_victim.reference})" in err
    assert "Ashby" not in err and "Refuge" not in err
    assert AccessEvent.objects.filter(event="rows_verified", outcome="integrity_failure").exists()
    assert verify().intact  # the chain itself was not touched: the row was


def test_the_nightly_comparison_puts_a_row_put_back_on_the_auditors_anomalies(put_back_victim, auditor, sign_in_fully):
    from marac.tasks import verify_rows as nightly

    assert nightly() == 1
    run = AccessEvent.objects.filter(event="rows_verified").latest("sequence")
    assert run.outcome == AccessEvent.Outcome.INTEGRITY_FAILURE and run.user is None
    page = sign_in_fully(auditor).get("/audit/anomalies/").content.decode()
    integrity = page.split("Integrity failures", 2)[2].split("<h2", 1)[0]
    assert "rows_verified" in integrity and "1 went back" in integrity


def test_a_clean_nightly_comparison_is_no_anomaly(case_a, auditor, sign_in_fully):
    from marac.tasks import verify_rows as nightly

    assert nightly() == 0
    page = sign_in_fully(auditor).get("/audit/anomalies/").content.decode()
    assert "rows_verified" not in page.split("Integrity failures", 2)[2].split("<h2", 1)[0]


def test_a_row_changed_by_raw_sql_at_the_same_version_is_named(case_a, case_b):
    columns = columns_of(case_a.victim)
    # Case B's victim's name, copied in: a different ciphertext, the same version.
    put_back(case_a.victim, {"name": columns_of(case_b.victim)["name"]})
    code, _, err = verify_rows()
    assert code == 1 and f"CHANGED OUTSIDE THE SERVICE: referrals.victim {case_a.victim.pk} ({case_a.reference})" in err
    assert case_b.reference not in err and columns["row_version"] == columns_of(case_a.victim)["row_version"]


def test_a_version_the_chain_never_saw_is_named_as_changed(case_a):
    put_back(case_a.victim, {"row_version": case_a.victim.row_version + 5})
    code, _, err = verify_rows()
    assert code == 1 and "CHANGED OUTSIDE THE SERVICE" in err


@pytest.fixture
def perpetrator(case_a, referrer):
    from datetime import date

    from referrals.services import perpetrator_add

    return perpetrator_add(
        case=case_a,
        details={"name": "Someone", "relationship_to_victim": Perpetrator.Relationship.EX_PARTNER},
        by=referrer,
        today=date(2026, 3, 1),
    )


def test_a_row_deleted_by_raw_sql_is_named_missing(case_a, perpetrator):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Perpetrator._meta.db_table} WHERE id = %s", [perpetrator.pk])
    code, _, err = verify_rows()
    assert code == 1 and f"MISSING: referrals.perpetrator {perpetrator.pk} ({case_a.reference})" in err


def test_a_row_deleted_through_the_service_is_not_missing_and_cannot_come_back(case_a, perpetrator):
    before, pk = columns_of(perpetrator), perpetrator.pk
    perpetrator.delete()
    perpetrator.pk = pk  # Django clears it on delete; the row is put back under it below
    assert latest_entry(perpetrator).event == "row_deleted"
    assert verify_rows()[0] == 0
    names = ", ".join(["id", "case_id", "uuid", *before])
    with connection.cursor() as cursor:  # the deleted row put back from a backup
        cursor.execute(
            f"INSERT INTO {Perpetrator._meta.db_table} ({names}, relationship_to_victim, aged_17_or_under) "
            f"VALUES (%s, %s, %s, {', '.join(['%s'] * len(before))}, %s, %s)",
            [
                perpetrator.pk,
                case_a.pk,
                perpetrator.uuid.hex,
                *before.values(),
                perpetrator.relationship_to_victim,
                perpetrator.aged_17_or_under,
            ],
        )
    code, _, err = verify_rows()
    assert code == 1 and f"WENT BACK: referrals.perpetrator {perpetrator.pk}" in err


def test_rows_written_before_rows_were_recorded_are_counted_then_recorded_once(case_a, referrer):
    unrecorded = Perpetrator(case=case_a, name="Loaded earlier")
    unrecorded.encrypt_for_write()
    Perpetrator.objects.bulk_create([unrecorded])
    code, out, _ = verify_rows()
    assert code == 0 and "1 rows not yet recorded" in out
    code, out, _ = verify_rows("--record-baseline")
    assert code == 0 and "Recorded 1 rows" in out and "0 not yet recorded" in out
    assert latest_entry(unrecorded).event == "row_baseline"
    assert AccessEvent.objects.filter(event="rows_baseline_recorded", purpose="1 rows recorded as they stood").exists()
    assert verify_rows("--record-baseline")[1].startswith("Recorded 0 rows")
    assert verify().intact


def test_a_row_put_in_past_the_service_after_the_baseline_is_named(case_a):
    """Once the baseline has recorded the rows from before, every row is written by a save that
    records it: one the chain never saw was put in past the service."""
    verify_rows("--record-baseline")
    smuggled = Perpetrator(case=case_a, name="Put in by SQL")
    smuggled.encrypt_for_write()
    Perpetrator.objects.bulk_create([smuggled])
    code, out, err = verify_rows()
    assert code == 1 and "NOT YET RECORDED" in err and case_a.reference in err


def append_copy_of(entry: AccessEvent) -> None:
    """What the database role can do: append an event, which the chain links like any other."""
    audit.record_rows(
        event=entry.event,
        rows=[RowFact(entry.row_model, entry.row_id, entry.row_version, entry.row_digest, entry.case_reference)],
    )


def test_a_copy_of_the_old_entry_appended_after_a_row_put_back_does_not_hide_it(case_a):
    before = columns_of(case_a.victim)
    old_entry = latest_entry(case_a.victim)
    saved_again(case_a.victim, safe_address="Refuge, 1 Hidden Lane")
    put_back(case_a.victim, before)
    append_copy_of(old_entry)
    assert latest_entry(case_a.victim).row_version == old_entry.row_version  # the forged entry is the newest
    code, _, err = verify_rows()
    assert code == 1 and "WENT BACK" in err and case_a.reference in err
    assert verify().intact  # the chain itself is whole: only the rule on versions catches it


def test_nothing_after_a_deletion_brings_a_row_back(case_a, perpetrator):
    table = perpetrator._meta.db_table
    with connection.cursor() as cursor:  # the whole row, as a backup holds it
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [perpetrator.pk])
        row = cursor.fetchone()
        names = ", ".join(column[0] for column in cursor.description)
    last = latest_entry(perpetrator)
    Perpetrator.objects.get(pk=perpetrator.pk).delete()
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(row))
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(row))
    append_copy_of(last)
    code, _, err = verify_rows()
    assert code == 1 and "WENT BACK" in err


def test_bulk_synthetic_data_leaves_nothing_flagged(db):
    call_command("seed_scale", "--referrals", "6", "--areas", "1", stdout=StringIO())
    code, out, err = verify_rows()
    assert code == 0 and err == "" and "0 not yet recorded" in out and not out.startswith("0 rows")
    assert verify().intact


def test_key_rotation_and_erasure_leave_nothing_flagged(case_a, case_b, coordinator, settings):
    from marac.security.keyring import Keyring, keyring_with_new_primary
    from referrals.services import case_shred

    settings.MARAC_KEYRING = Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))
    call_command("rotate_keys", stdout=StringIO())
    case_shred(case=case_b, by=coordinator)
    code, out, err = verify_rows()
    assert code == 0 and err == "" and "0 not yet recorded" in out


def test_recomputing_the_data_returns_plain_columns_leaves_nothing_flagged(case_a, case_b):
    """Its bulk UPDATEs touch coded columns only, which the digest leaves out by design."""
    Victim.objects.filter(pk=case_a.victim.pk).update(age_band="")
    call_command("recompute_data_return", stdout=StringIO())
    assert verify_rows()[0] == 0


# --- the auditor's page ------------------------------------------------------------------------


def test_the_auditor_sees_the_put_back_row_named_by_case_only(put_back_victim, auditor, sign_in_fully):
    client = sign_in_fully(auditor)
    page = client.post("/audit/chain/rows/").content.decode()
    assert put_back_victim.reference in page and "Went back" in page and "Victim" in page
    assert "Ashby" not in page and "Refuge" not in page and "Sarah" not in page
    run = AccessEvent.objects.filter(event="rows_verified", user=auditor).get()
    assert run.outcome == "integrity_failure"
    chain_page = client.get("/audit/chain/").content.decode()
    assert "Last compared" in chain_page and "1 went back" in chain_page


def test_the_auditor_sees_a_clean_comparison_when_nothing_was_touched(case_a, auditor, sign_in_fully):
    page = sign_in_fully(auditor).post("/audit/chain/rows/").content.decode()
    assert "As the chain recorded them" in page and case_a.reference not in page


def test_an_auditor_of_another_area_is_not_shown_this_areas_rows(put_back_victim, other_area, police, sign_in_fully):
    elsewhere = make_person("auditor_elsewhere", Role.AUDITOR, police, other_area)
    page = sign_in_fully(elsewhere).post("/audit/chain/rows/").content.decode()
    assert put_back_victim.reference not in page and "As the chain recorded them" in page
    # Nor in when the rows were last compared: this area's auditor's run is not in their scope.
    sign_in_with_both_factors(Client(), make_person("auditor_here", Role.AUDITOR, police, put_back_victim.area)).post("/audit/chain/rows/")
    assert "1 went back" not in sign_in_fully(elsewhere).get("/audit/chain/").content.decode()


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "unrelated"])
def test_people_who_are_not_auditors_are_refused_and_it_is_logged(put_back_victim, persona, request, sign_in_fully):
    person = request.getfixturevalue(persona)
    response = sign_in_fully(person).post("/audit/chain/rows/")
    assert response.status_code == 403 and put_back_victim.reference not in response.content.decode()
    assert AccessEvent.objects.filter(user=person, outcome="denied", event="audit_access_denied").exists()
    assert not AccessEvent.objects.filter(event="rows_verified").exists()


def test_the_comparison_is_a_post(auditor, sign_in_fully, db):
    assert sign_in_fully(auditor).get("/audit/chain/rows/").status_code == 405


def test_one_auditor_compares_at_most_once_in_five_minutes(case_a, auditor, sign_in_fully):
    from datetime import timedelta

    client = sign_in_fully(auditor)
    assert client.post("/audit/chain/rows/").status_code == 200
    again = client.post("/audit/chain/rows/")
    assert again.status_code == 429 and "Compare the records again later" in again.content.decode()
    assert AccessEvent.objects.filter(event="rows_verified", user=auditor).count() == 1  # the second never ran
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert client.post("/audit/chain/rows/").status_code == 200


# The code of today knows the row columns, so an event from before them is written in SQL, as
# that version wrote it: linked by the trigger of migration 0003 (PostgreSQL) or here (SQLite).
AN_OLD_EVENT = """
import django; django.setup()
from django.db import connection
from django.utils import timezone
from audit import chain
at = timezone.now()
old = {"at": at, "user_id": None, "event": "case_read", "case_reference": "NWL-2026-0001", "fields": ["name"]}
old |= {"purpose": "before", "outcome": "allowed", "client_ip": ""}
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute(
            "INSERT INTO audit_accessevent (at, event, case_reference, fields, purpose, outcome, client_ip) "
            "VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s)",
            [at, old["event"], old["case_reference"], '["name"]', old["purpose"], old["outcome"], old["client_ip"]],
        )
    else:
        cursor.execute("SELECT count(*) FROM audit_accessevent")
        assert cursor.fetchone()[0] == 0
        old |= {"sequence": 1, "previous_hash": chain.GENESIS}
        cursor.execute(
            "INSERT INTO audit_accessevent (sequence, at, user_id, event, case_reference, fields, purpose, outcome, client_ip, "
            "previous_hash, hash) VALUES (1, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s)",
            [connection.ops.adapt_datetimefield_value(at), old["event"], old["case_reference"], '["name"]', old["purpose"],
             old["outcome"], old["client_ip"], chain.GENESIS, chain.event_hash(old)],
        )
"""
NEW_EVENTS = """
import django; django.setup()
import audit
from audit.rows import RowFact
audit.record(event="case_read", case_reference="NWL-2026-0001", fields=["name"], purpose="after")
audit.record_rows(rows=[RowFact("referrals.victim", 1, 2, "ab" * 32, "NWL-2026-0001")])
"""


@pytest.mark.django_db
def test_events_from_before_the_upgrade_verify_after_it_and_the_log_stays_append_only():
    """Back to the chain as it was before rows were recorded, events written, forward again."""
    from tests.scratch_db import ROOT, manage, scratch_database

    with scratch_database() as env:
        manage(env, "migrate", "audit", "0003", "-v0")
        manage(env, "shell", "-c", AN_OLD_EVENT)
        manage(env, "migrate", "-v0")
        manage(env, "shell", "-c", NEW_EVENTS)
        intact = manage(env, "verify_audit_chain").stdout
        tamper = "from django.db import connection; connection.cursor().execute(\"UPDATE audit_accessevent SET purpose = 'x'\")"
        refused = subprocess.run([sys.executable, "manage.py", "shell", "-c", tamper], cwd=ROOT, env=env, capture_output=True, text=True)
    assert intact.startswith("Intact: 3 events")
    assert refused.returncode != 0 and "append-only" in refused.stderr
