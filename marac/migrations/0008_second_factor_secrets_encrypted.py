# Second-factor secrets sealed at rest under the keyring (issue 17 item 5, ADR 0022): the new
# device tables, then every TOTP key and backup code moved out of django-otp's plugin tables
# (where they were hex and plain text) into sealed columns, and those tables dropped, so no plain
# copy is left in the live database. Irreversible on purpose: going back would write the secrets
# out in the clear again.
import uuid
from datetime import UTC, datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from marac.security.account_secrets import place_of, secret_seal

TOTP_TABLE = "otp_totp_totpdevice"
BACKUP_DEVICE_TABLE = "otp_static_staticdevice"
BACKUP_CODE_TABLE = "otp_static_statictoken"
TOTP_COLUMNS = (
    "id",
    "user_id",
    "name",
    "confirmed",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
    "created_at",
    "last_used_at",
)


def _aware(value):
    """A timestamp read with a raw cursor: SQLite gives naive UTC text, PostgreSQL aware values."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _rows(connection, table, columns):
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        # Table and column names are constants above, quoted; nothing comes from outside.
        cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY id")  # noqa: S608  # nosec B608
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _keep_created_at(model, device, row):
    # created_at is auto_now_add, which create() would set to now: the device's real age is kept.
    model.objects.filter(pk=device.pk).update(created_at=_aware(row["created_at"]))


def _sealed(model_label, row_uuid, secret):
    return secret_seal(plaintext=secret, place=place_of(model_label=model_label, row_uuid=row_uuid, field="sealed"))


def _move_authenticator_apps(apps, connection):
    AuthenticatorApp = apps.get_model("marac", "AuthenticatorApp")
    for row in _rows(connection, TOTP_TABLE, TOTP_COLUMNS):
        row_uuid = uuid.uuid4()
        kek_id, sealed = _sealed("marac.authenticatorapp", row_uuid, bytes.fromhex(row["key"]))
        device = AuthenticatorApp.objects.create(
            uuid=row_uuid,
            kek_id=kek_id,
            sealed=sealed,
            user_id=row["user_id"],
            name=row["name"],
            confirmed=bool(row["confirmed"]),
            step=row["step"],
            t0=row["t0"],
            digits=row["digits"],
            tolerance=row["tolerance"],
            drift=row["drift"],
            last_t=row["last_t"],  # so a code already used cannot be replayed after the move
            last_used_at=_aware(row["last_used_at"]),
        )
        _keep_created_at(AuthenticatorApp, device, row)


def _move_backup_codes(apps, connection):
    BackupCodes = apps.get_model("marac", "BackupCodes")
    BackupCode = apps.get_model("marac", "BackupCode")
    codes = {}
    for row in _rows(connection, BACKUP_CODE_TABLE, ("id", "device_id", "token")):
        codes.setdefault(row["device_id"], []).append(row["token"])
    for row in _rows(connection, BACKUP_DEVICE_TABLE, ("id", "user_id", "name", "confirmed", "created_at", "last_used_at")):
        device = BackupCodes.objects.create(
            user_id=row["user_id"],
            name=row["name"],
            confirmed=bool(row["confirmed"]),
            last_used_at=_aware(row["last_used_at"]),
        )
        _keep_created_at(BackupCodes, device, row)
        for token in codes.get(row["id"], []):
            row_uuid = uuid.uuid4()
            kek_id, sealed = _sealed("marac.backupcode", row_uuid, token.encode())
            BackupCode.objects.create(device=device, uuid=row_uuid, kek_id=kek_id, sealed=sealed)


def move_plain_secrets_to_sealed_storage(apps, schema_editor):
    """Seal what django-otp's plugins hold, then drop their tables. A new database never had
    them (the plugins are no longer installed), so there is nothing to move."""
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    if TOTP_TABLE in tables:
        _move_authenticator_apps(apps, connection)
    if {BACKUP_DEVICE_TABLE, BACKUP_CODE_TABLE} <= tables:
        _move_backup_codes(apps, connection)
    for table in (BACKUP_CODE_TABLE, BACKUP_DEVICE_TABLE, TOTP_TABLE):  # codes before their devices
        if table in tables:
            schema_editor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [("marac", "0007_case_team_lead"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuthenticatorApp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                ("throttling_failure_count", models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts.")),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, help_text="The date and time when this device was initially created in the system.", null=True
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, help_text="The most recent date and time this device was used.", null=True),
                ),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("kek_id", models.CharField(editable=False, max_length=64)),
                ("sealed", models.BinaryField()),
                ("step", models.PositiveSmallIntegerField(default=30)),
                ("t0", models.BigIntegerField(default=0)),
                ("digits", models.PositiveSmallIntegerField(default=6)),
                ("tolerance", models.PositiveSmallIntegerField(default=1)),
                ("drift", models.SmallIntegerField(default=0)),
                ("last_t", models.BigIntegerField(default=-1)),
                (
                    "user",
                    models.ForeignKey(
                        help_text="The user that this device belongs to.",
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "authenticator app"},
        ),
        migrations.CreateModel(
            name="BackupCodes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                ("throttling_failure_count", models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts.")),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, help_text="The date and time when this device was initially created in the system.", null=True
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, help_text="The most recent date and time this device was used.", null=True),
                ),
                (
                    "user",
                    models.ForeignKey(
                        help_text="The user that this device belongs to.",
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "backup codes", "verbose_name_plural": "backup codes"},
        ),
        migrations.CreateModel(
            name="BackupCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("kek_id", models.CharField(editable=False, max_length=64)),
                ("sealed", models.BinaryField()),
                (
                    "device",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="codes", to="marac.backupcodes"),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.RunPython(move_plain_secrets_to_sealed_storage, elidable=False),
    ]
