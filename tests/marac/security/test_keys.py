"""Key management: rotation re-wraps without touching data, shredding erases one case for good,
and no key material lives in the repository."""

import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from marac.security import crypto, datakeys
from marac.security.datakeys import DataKeyShredded, data_key_bytes
from marac.security.keyring import Keyring, keyring_with_new_primary, new_keyring_json
from marac.security.models import BlindIndexEntry, DataKey
from referrals import services
from referrals.models import Victim

ROOT = Path(__file__).resolve().parents[3]


def fresh(victim):
    return Victim.objects.select_related("case__data_key").get(pk=victim.pk)


def rotated_keyring() -> Keyring:
    return Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))


def without(keyring: Keyring, key_id: str) -> Keyring:
    return Keyring(
        primary_id=keyring.primary_id, keys={k: v for k, v in keyring.keys.items() if k != key_id}, index_keys=keyring.index_keys
    )


def field_ciphertexts() -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, safe_address FROM {Victim._meta.db_table} ORDER BY id")
        return [bytes(v) for row in cursor.fetchall() for v in row]


def test_rotation_rewraps_every_key_and_the_old_key_can_then_be_removed(case_a, case_b):
    old_id = settings.MARAC_KEYRING.primary_id
    before = field_ciphertexts()
    new_keyring = rotated_keyring()
    with override_settings(MARAC_KEYRING=new_keyring):
        out = StringIO()
        call_command("rotate_keys", stdout=out)
        assert "Re-wrapped 2 data keys under kek-new" in out.getvalue()
        assert f"Key {old_id} wraps nothing now and can be retired" in out.getvalue()
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"kek-new"}
    assert field_ciphertexts() == before  # no field was re-encrypted
    with override_settings(MARAC_KEYRING=without(new_keyring, old_id)):
        assert fresh(case_a.victim).safe_address == "Flat 2, 9 Ashby Road, Shepshed"
        assert fresh(case_b.victim).name == "Aisha Rahman"


def test_rotation_is_safe_to_run_again_after_an_interruption(case_a, case_b):
    new_keyring = rotated_keyring()
    with override_settings(MARAC_KEYRING=new_keyring):
        from marac.security.datakeys import data_keys_rotate

        first = data_keys_rotate(batch_size=1)  # one batch at a time, as if stopped and restarted
        assert first["rewrapped"] == 2
        again = data_keys_rotate()
        assert again == {"rewrapped": 0, "kek-new": 2}
        assert fresh(case_a.victim).name == "Sarah Mitchell"


def test_removing_a_key_before_rotation_makes_records_unreadable_not_wrong(case_a):
    new_keyring = rotated_keyring()
    with override_settings(MARAC_KEYRING=without(new_keyring, settings.MARAC_KEYRING.primary_id)):
        with pytest.raises(Exception, match="not in the keyring"):
            fresh(case_a.victim).name


def test_a_wrapped_key_copied_to_another_case_fails_to_unwrap(case_a, case_b):
    DataKey.objects.filter(pk=case_b.data_key.pk).update(wrapped=case_a.data_key.wrapped)
    with pytest.raises(crypto.IntegrityFailure):
        data_key_bytes(DataKey.objects.get(pk=case_b.data_key.pk))


def test_shredding_a_case_makes_its_live_and_history_rows_unreadable_and_leaves_others(case_a, case_b):
    victim = fresh(case_a.victim)
    victim.safe_address = "A newer safe address"
    victim.save()
    assert BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()

    call_command("shred_case", case_a.reference, "--yes", stdout=StringIO())

    with pytest.raises(DataKeyShredded):
        fresh(case_a.victim).name
    for history_row in Victim.history.filter(uuid=case_a.victim.uuid).select_related("case__data_key"):
        with pytest.raises(DataKeyShredded):
            history_row.safe_address
    assert not BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()
    assert fresh(case_b.victim).name == "Aisha Rahman"
    assert BlindIndexEntry.objects.filter(case_uuid=case_b.uuid).exists()
    case_a.refresh_from_db()
    assert case_a.is_shredded and case_a.reference  # a non-personal tombstone remains


def test_shredding_needs_confirmation_and_a_real_case(case_a):
    with pytest.raises(CommandError, match="--yes"):
        call_command("shred_case", case_a.reference)
    with pytest.raises(CommandError, match="No case"):
        call_command("shred_case", "NWL-1999-0001", "--yes")
    assert fresh(case_a.victim).name == "Sarah Mitchell"


def test_generate_keys_prints_a_usable_keyring_and_adds_primaries(tmp_path):
    out = StringIO()
    call_command("generate_keys", "--key-id", "first", stdout=out)
    keyring = Keyring.from_json(out.getvalue())
    assert keyring.primary_id == "first" and set(keyring.index_keys) == {"victim_name_dob", "perpetrator_name_dob"}
    path = tmp_path / "keyring.json"
    path.write_text(out.getvalue())
    out = StringIO()
    call_command("generate_keys", "--key-id", "second", "--add-primary-to", str(path), stdout=out)
    extended = Keyring.from_json(out.getvalue())
    assert extended.primary_id == "second" and extended.keys["first"] == keyring.keys["first"]
    with pytest.raises(CommandError, match="already exists"):
        call_command("generate_keys", "--key-id", "first", "--add-primary-to", str(path), stdout=StringIO())


BASE64_KEY = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def test_the_scan_can_find_a_key():
    assert BASE64_KEY.search(new_keyring_json("x").encode())


def test_no_key_material_in_the_repository_or_migrations():
    tracked = [str(p.relative_to(ROOT)) for p in tracked_files()]
    assert any(path.endswith("0002_blindindexentry_datakey.py") for path in tracked)  # the scan sees migrations
    for path in tracked:
        data = (ROOT / path).read_bytes()
        assert not BASE64_KEY.search(data), f"{path} holds something shaped like a 256-bit key"


def test_shredding_makes_the_preferred_language_unreadable_live_and_in_history(case_a, case_b, referrer):
    """The language is typed by hand, so it can hold anything: encrypted under the case's key
    (ADR 0021), never in clear, and gone with the key."""
    from referrals.models import Victim
    from referrals.services import case_shred, victim_update

    typed = "Tigrinya - only via sister Senait 07700 900999"
    for case in (case_a, case_b):
        victim = Victim.objects.select_related("case__data_key").get(case=case)
        victim_update(victim=victim, changes={"language": typed}, expected_version=victim.row_version, by=referrer)
    stored = list(Victim.objects.values_list("language", flat=True)) + list(Victim.history.values_list("language", flat=True))
    assert not any(b"Tigrinya" in bytes(value) for value in stored)  # never in clear, live or in history
    case_shred(case=case_a, by=None)
    for row in [Victim.objects.get(case=case_a), *Victim.history.filter(case_id=case_a.pk)]:
        with pytest.raises(DataKeyShredded):
            row.language  # noqa: B018  # reading it is the test
    assert Victim.objects.get(case=case_b).language == typed  # others untouched


def test_a_key_shredded_while_rotation_runs_stays_shredded(case_a, case_b, monkeypatch):
    real = datakeys._rewrapped_row

    def shred_mid_batch(keyring, pk, *rest):
        if pk == case_a.data_key.pk:
            services.case_shred(case=case_a, by=None)  # commits between rotation's read and write
        return real(keyring, pk, *rest)

    monkeypatch.setattr(datakeys, "_rewrapped_row", shred_mid_batch)
    with override_settings(MARAC_KEYRING=Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))):
        datakeys.data_keys_rotate()
        assert DataKey.objects.get(pk=case_a.data_key.pk).wrapped is None
        with pytest.raises(datakeys.DataKeyShredded):
            fresh(case_a.victim).safe_address
        assert fresh(case_b.victim).name == "Aisha Rahman"
