"""Second-factor secrets at rest: authenticator keys and backup codes are sealed under the
keyring (ADR 0022), moved there from django-otp's plain tables by a migration, re-sealed by key
rotation, and no copy in the database gives them up."""

import base64
import importlib
import uuid
from datetime import UTC, datetime
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from demo.management.commands._demo import current_code
from marac import services
from marac.second_factor import AuthenticatorApp, BackupCode, BackupCodes, second_factor_check
from marac.security import crypto
from marac.security.keyring import Keyring, keyring_with_new_primary
from tests.conftest import PASSWORD

MIGRATION = importlib.import_module("marac.migrations.0008_second_factor_secrets_encrypted")


def raw_rows(table: str) -> bytes:
    """Every value in a table as the database returns it to plain SQL, as one byte string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608  # a model's own table
        return b"|".join(bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for row in cursor.fetchall() for v in row)


def forms_of(key: bytes) -> list[bytes]:
    """Every way a TOTP key is commonly written: raw, hex (django-otp), base-32 (the QR code)."""
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b32encode(key), base64.b32encode(key).lower()]


def test_a_raw_read_of_the_tables_shows_no_key_and_no_backup_code(coordinator):
    key = AuthenticatorApp.objects.get(user=coordinator).bin_key
    codes = services.backup_codes_issue(user=coordinator)
    devices, sealed_codes = raw_rows(AuthenticatorApp._meta.db_table), raw_rows(BackupCode._meta.db_table)
    assert len(devices) > 60 and sealed_codes.count(b"|") >= 2 * len(codes)  # the rows are really there
    assert [form for form in forms_of(key) if form in devices + sealed_codes] == []
    assert [code for code in codes if code.encode() in devices + sealed_codes or code.upper().encode() in sealed_codes] == []
    assert not {"otp_totp_totpdevice", "otp_static_statictoken"} & set(connection.introspection.table_names())


def test_a_sealed_key_copied_into_another_persons_row_does_not_open(coordinator, chair):
    mine = AuthenticatorApp.objects.get(user=coordinator)
    theirs = AuthenticatorApp.objects.get(user=chair)
    AuthenticatorApp.objects.filter(pk=theirs.pk).update(sealed=bytes(mine.sealed), kek_id=mine.kek_id)
    with pytest.raises(crypto.IntegrityFailure):
        AuthenticatorApp.objects.get(pk=theirs.pk).bin_key


def test_a_backup_code_typed_for_another_person_does_not_work(coordinator, chair):
    codes = services.backup_codes_issue(user=coordinator)
    services.backup_codes_issue(user=chair)
    assert second_factor_check(user=chair, code=codes[0]).device is None
    assert isinstance(second_factor_check(user=coordinator, code=codes[0]).device, BackupCodes)
    assert second_factor_check(user=coordinator, code=codes[0]).device is None  # once only


# --- the migration ---------------------------------------------------------------------------

OLD_TABLES = {
    "otp_totp_totpdevice": (
        "id integer PRIMARY KEY, user_id bigint NOT NULL, name varchar(64) NOT NULL, confirmed boolean NOT NULL, "
        '"key" varchar(80) NOT NULL, step smallint NOT NULL, t0 bigint NOT NULL, digits smallint NOT NULL, '
        "tolerance smallint NOT NULL, drift smallint NOT NULL, last_t bigint NOT NULL, throttling_failure_timestamp {ts} NULL, "
        "throttling_failure_count integer NOT NULL, created_at {ts} NULL, last_used_at {ts} NULL"
    ),
    "otp_static_staticdevice": (
        "id integer PRIMARY KEY, user_id bigint NOT NULL, name varchar(64) NOT NULL, confirmed boolean NOT NULL, "
        "throttling_failure_timestamp {ts} NULL, throttling_failure_count integer NOT NULL, created_at {ts} NULL, last_used_at {ts} NULL"
    ),
    "otp_static_statictoken": "id integer PRIMARY KEY, device_id integer NOT NULL, token varchar(16) NOT NULL",
}
PLAIN_KEY = bytes(range(1, 21))
PLAIN_CODES = ["abcd2345", "qrst6767"]


def make_django_otp_tables_with(user) -> None:
    """The tables django-otp's TOTP and backup-code plugins kept, holding plain secrets, as a
    database migrated before this change has them."""
    timestamp = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    created = "2026-11-01 09:30:00+00:00" if connection.vendor == "postgresql" else "2026-11-01 09:30:00"
    with connection.cursor() as cursor:
        for table, columns in OLD_TABLES.items():
            cursor.execute(f"CREATE TABLE {table} ({columns.format(ts=timestamp)})")
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (7, %s, 'Phone', %s, %s, 30, 0, 6, 1, 0, 12345, NULL, 0, %s, NULL)",
            [user.pk, True, PLAIN_KEY.hex(), created],
        )
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (3, %s, 'Backup codes', %s, NULL, 0, %s, NULL)", [user.pk, True, created]
        )
        for n, code in enumerate(PLAIN_CODES):
            cursor.execute("INSERT INTO otp_static_statictoken VALUES (%s, 3, %s)", [n + 1, code])


def run_the_migration() -> None:
    """The migration's data step, with the models as they are at that migration. Inside the test's
    transaction (so PostgreSQL rolls the tables back and the append-only log is never flushed):
    the step uses only its editor's connection and execute, which this stands in for."""
    state = MigrationExecutor(connection).loader.project_state(("marac", "0008_second_factor_secrets_encrypted"))

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    MIGRATION.move_plain_secrets_to_sealed_storage(state.apps, SimpleNamespace(connection=connection, execute=execute))


def test_the_migration_seals_existing_secrets_and_drops_the_plain_tables(area, police):
    from marac.models import Membership, Role, User

    person = User.objects.create(username="existing", password="x")
    Membership.objects.create(user=person, agency=police, area=area, role=Role.COORDINATOR)
    make_django_otp_tables_with(person)
    run_the_migration()

    assert not {"otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken"} & set(connection.introspection.table_names())
    device = AuthenticatorApp.objects.get(user=person)
    assert device.bin_key == PLAIN_KEY and device.confirmed and device.last_t == 12345  # no replay of a used code
    assert device.created_at == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert device.kek_id == settings.MARAC_KEYRING.primary_id
    everything = raw_rows(AuthenticatorApp._meta.db_table) + raw_rows(BackupCode._meta.db_table)
    assert [form for form in forms_of(PLAIN_KEY) if form in everything] == []
    assert [code for code in PLAIN_CODES if code.encode() in everything] == []
    # And the person signs in as before: with their app's code, or a backup code once.
    assert second_factor_check(user=person, code=current_code(device)).device == device
    assert isinstance(second_factor_check(user=person, code=PLAIN_CODES[1]).device, BackupCodes)
    assert BackupCode.objects.filter(device__user=person).count() == 1


def test_the_migration_on_a_new_database_has_nothing_to_move(db):
    run_the_migration()  # no django-otp tables: nothing happens, nothing fails
    assert not AuthenticatorApp.objects.exists()


# --- key rotation ----------------------------------------------------------------------------


def test_rotation_reseals_second_factor_secrets_so_the_old_key_can_go(client, coordinator):
    old_id = settings.MARAC_KEYRING.primary_id
    codes = services.backup_codes_issue(user=coordinator)
    device = AuthenticatorApp.objects.get(user=coordinator)
    key, sealed_before = device.bin_key, bytes(device.sealed)
    new = Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))
    with override_settings(MARAC_KEYRING=new):
        out = StringIO()
        call_command("rotate_keys", stdout=out)
    assert f"Re-sealed {1 + len(codes)} second-factor secrets" in out.getvalue()
    assert f"Key {old_id} wraps nothing now and can be retired" in out.getvalue()
    assert set(AuthenticatorApp.objects.values_list("kek_id", flat=True)) == {"kek-new"}
    assert set(BackupCode.objects.values_list("kek_id", flat=True)) == {"kek-new"}
    retired = Keyring(primary_id="kek-new", keys={"kek-new": new.keys["kek-new"]}, index_keys=new.index_keys)
    with override_settings(MARAC_KEYRING=retired):
        device = AuthenticatorApp.objects.get(user=coordinator)
        assert bytes(device.sealed) != sealed_before and device.bin_key == key
        client.post("/sign-in/", {"username": "coordinator", "password": PASSWORD})
        assert client.post("/sign-in/security-code/", {"code": current_code(device)}).url == "/"
        assert isinstance(second_factor_check(user=coordinator, code=codes[0]).device, BackupCodes)


def test_rotation_does_not_launder_a_sealed_value_moved_to_another_row(coordinator):
    new = Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))
    device = AuthenticatorApp.objects.get(user=coordinator)
    with override_settings(MARAC_KEYRING=new):
        from marac.second_factor import second_factor_secrets_rotate

        AuthenticatorApp.objects.filter(pk=device.pk).update(uuid=uuid.uuid4())  # its sealed key no longer belongs here
        with pytest.raises(crypto.IntegrityFailure):
            second_factor_secrets_rotate()  # a value that does not open here is an error, never re-sealed as garbage


# --- the throttle after a wrong code ---------------------------------------------------------


def test_confirm_identity_says_wait_rather_than_wrong_during_the_throttle(sign_in_fully, coordinator):
    client = sign_in_fully(coordinator)
    device = AuthenticatorApp.objects.get(user=coordinator)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client.post("/account/confirm/", {"code": wrong})
        clock.shift(0.5)
        client.post("/account/confirm/", {"code": wrong})  # throttled: not checked, not counted
        clock.shift(0.2)
        page = client.post("/account/confirm/", {"code": current_code(device)}).content.decode()
        assert "Wait 1 second, then enter the security code again" in page and "not correct" not in page
        assert 'value="' + current_code(device) + '"' in page  # what they typed is kept
        clock.shift(1)
        assert client.post("/account/confirm/?next=/cases/", {"code": current_code(device)}).url == "/cases/"
    from axes.models import AccessAttempt

    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 1


def test_the_wait_after_wrong_codes_stops_growing_at_a_minute(coordinator):
    """Someone with the password must not be able to push the person's wait to months: the
    lockout stops guessing, the wait only paces typing."""
    from datetime import timedelta

    from django.utils import timezone

    app = AuthenticatorApp.objects.get(user=coordinator)
    for _ in range(30):
        app.throttle_increment()
    app.refresh_from_db()
    allowed, _ = app.verify_is_allowed()
    assert not allowed and app.throttling_failure_count == 7
    app.throttling_failure_timestamp = timezone.now() - timedelta(seconds=65)
    assert app.verify_is_allowed() == (True, None)
