"""Someone with write access to the database cannot move, replay, forge or alter a victim's
encrypted values without the application noticing: every such value fails to load."""

import uuid
from datetime import date

import pytest
from django.core import serializers
from django.db import connection

from marac.security.crypto import IntegrityFailure
from marac.security.models import DataKey
from referrals.models import Victim

TABLE = Victim._meta.db_table


def raw_get(victim: Victim, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {TABLE} WHERE id = %s", [victim.pk])
        return bytes(cursor.fetchone()[0])


def raw_set(victim: Victim, column: str, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, victim.pk])


def fresh(victim: Victim) -> Victim:
    return Victim.objects.select_related("case__data_key").get(pk=victim.pk)


def test_values_round_trip_and_are_not_stored_in_plaintext(case_a):
    victim = fresh(case_a.victim)
    assert victim.name == "Sarah Mitchell"
    assert victim.safe_address == "Flat 2, 9 Ashby Road, Shepshed"
    assert b"Sarah" not in raw_get(victim, "name")
    assert b"Ashby" not in raw_get(victim, "safe_address")


def test_a_value_copied_from_another_victims_row_fails_to_load(case_a, case_b):
    raw_set(case_b.victim, "safe_address", raw_get(case_a.victim, "safe_address"))
    with pytest.raises(IntegrityFailure):
        fresh(case_b.victim).safe_address


def test_a_value_moved_between_fields_of_one_row_fails_to_load(case_a):
    raw_set(case_a.victim, "address", raw_get(case_a.victim, "safe_address"))
    victim = fresh(case_a.victim)
    with pytest.raises(IntegrityFailure):
        victim.address
    assert victim.safe_address == "Flat 2, 9 Ashby Road, Shepshed"  # the untouched field still reads


def test_plaintext_written_into_the_column_fails_to_load(case_a):
    raw_set(case_a.victim, "safe_address", b"1 Fake Street")
    with pytest.raises(IntegrityFailure):
        fresh(case_a.victim).safe_address


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_a_flipped_byte_fails_to_load_and_the_row_refuses_to_save(case_a, position):
    stored = bytearray(raw_get(case_a.victim, "name"))
    stored[position] ^= 0x01
    raw_set(case_a.victim, "name", bytes(stored))
    victim = fresh(case_a.victim)
    with pytest.raises(IntegrityFailure):
        victim.name
    victim.phone = "07700 900999"
    with pytest.raises(IntegrityFailure):
        victim.save()
    assert raw_get(case_a.victim, "name") == bytes(stored)  # nothing was re-saved


def test_a_row_whose_unread_value_was_tampered_with_still_refuses_to_save(case_a):
    stored = bytearray(raw_get(case_a.victim, "safe_phone"))
    stored[-1] ^= 0x80
    raw_set(case_a.victim, "safe_phone", bytes(stored))
    victim = fresh(case_a.victim)
    victim.name = "Sarah Kerr"  # safe_phone is never read by this code, but save checks it
    with pytest.raises(IntegrityFailure):
        victim.save()


def test_an_older_value_replayed_from_history_fails_to_load(case_a):
    victim = fresh(case_a.victim)
    old_safe_address = raw_get(victim, "safe_address")
    victim.safe_address = "Somewhere new"
    victim.save()
    raw_set(victim, "safe_address", old_safe_address)  # roll the one field back
    with pytest.raises(IntegrityFailure):
        fresh(victim).safe_address


def test_a_row_moved_to_another_case_fails_to_load(case_a, case_b):
    # Victim A's row pointed at case B, whose data key differs.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [case_b.victim.pk])
        cursor.execute(f"UPDATE {TABLE} SET case_id = %s WHERE id = %s", [case_b.pk, case_a.victim.pk])
    with pytest.raises(IntegrityFailure):
        fresh(case_a.victim).name


def test_a_row_given_another_logical_id_fails_to_load(case_a):
    new_id = Victim._meta.get_field("uuid").get_db_prep_value(uuid.uuid4(), connection)
    raw_set(case_a.victim, "uuid", new_id)
    with pytest.raises(IntegrityFailure):
        fresh(case_a.victim).name


def test_a_null_written_into_the_column_is_refused_by_the_database(case_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_set(case_a.victim, "safe_address", None)


def test_history_rows_hold_ciphertext_only_and_still_read(case_a):
    victim = fresh(case_a.victim)
    victim.safe_address = "Somewhere new"
    victim.save()
    history = list(victim.history.order_by("history_id"))
    assert [h.safe_address for h in history] == ["Flat 2, 9 Ashby Road, Shepshed", "Somewhere new"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT safe_address FROM {Victim.history.model._meta.db_table}")
        assert all(b"Somewhere" not in bytes(row[0]) and b"Ashby" not in bytes(row[0]) for row in cursor.fetchall())


def test_encrypted_fields_cannot_be_searched(case_a):
    with pytest.raises(TypeError, match="use a blind index"):
        Victim.objects.filter(name="Sarah Mitchell").exists()


def test_serialised_records_carry_ciphertext_only(case_a):
    text = serializers.serialize("json", [fresh(case_a.victim)])
    assert "Sarah" not in text and "Ashby" not in text


def test_refreshing_a_row_reloads_ciphertext_without_decrypting(case_a):
    victim = fresh(case_a.victim)
    victim.name = "Changed in memory"
    victim.refresh_from_db()
    assert victim.name == "Sarah Mitchell"
    stored = bytearray(raw_get(victim, "safe_address"))
    stored[-1] ^= 1
    raw_set(victim, "safe_address", bytes(stored))
    victim.refresh_from_db()  # loads the tampered value without reading it...
    with pytest.raises(IntegrityFailure):
        victim.safe_address  # ...and it still fails when read


def test_a_victim_moved_with_its_data_key_under_another_case_is_refused(case_a, case_b):
    # Victim A and A's data key moved under case B (perhaps in an area where the attacker has access).
    from referrals.models import Case

    spare = DataKey.objects.create(case_uuid=uuid.uuid4(), kek_id="unused", wrapped=b"x")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Victim._meta.db_table} WHERE id = %s", [case_b.victim.pk])
        cursor.execute(f"UPDATE {Case._meta.db_table} SET data_key_id = %s WHERE id = %s", [spare.pk, case_a.pk])
        cursor.execute(f"UPDATE {Case._meta.db_table} SET data_key_id = %s WHERE id = %s", [case_a.data_key.pk, case_b.pk])
        cursor.execute(f"UPDATE {Victim._meta.db_table} SET case_id = %s WHERE id = %s", [case_b.pk, case_a.victim.pk])
    with pytest.raises(IntegrityFailure):
        fresh(case_a.victim).safe_address


def test_saving_some_fields_still_writes_every_encrypted_value_and_the_version(case_a):
    victim = fresh(case_a.victim)
    victim.phone = "07700 900111"
    victim.save(update_fields=["phone"])
    again = fresh(case_a.victim)
    assert again.phone == "07700 900111" and again.safe_address == "Flat 2, 9 Ashby Road, Shepshed"


def test_a_value_assigned_and_not_yet_saved_never_leaves_as_plaintext(case_a):
    victim = fresh(case_a.victim)
    victim.safe_address = "Somewhere new"
    victim.date_of_birth = date(1990, 1, 2)
    for name in ("safe_address", "date_of_birth"):
        assert Victim._meta.get_field(name).value_from_object(victim) is None
    assert "Somewhere new" not in serializers.serialize("json", [victim])
    assert isinstance(Victim._meta.get_field("name").value_from_object(victim), bytes)  # untouched: its ciphertext
