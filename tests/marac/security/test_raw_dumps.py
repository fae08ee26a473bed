"""A copy of the database — the SQLite file's bytes, pg_dump, or what dumpdata writes, every table
and every history table — contains none of the victims', perpetrators' or children's names,
addresses or phone numbers, no action owner's name, no meeting venue and no preferred language in
plaintext (docs/adr/0021), and no second-factor secret: no authenticator key, no backup code (ADR 0022)."""

import os
import secrets
import shutil
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from demo.management.commands._demo_meetings import ACTIONS, VENUE
from demo.management.commands.seed_demo import CASES, PEOPLE_ON_CASES
from marac.security.keyring import new_keyring_json
from referrals import services
from tests.scratch_db import ROOT, manage, scratch_postgres

PERSONAL = ("name", "address", "phone", "safe_address", "safe_phone", "aliases", "language")
# Tables a dump must include for the search to mean anything: live and history, case and meeting.
TABLES = ("referrals_victim", "referrals_historicalvictim", "meetings_historicalaction", "meetings_historicalmeeting")
SECOND_FACTOR_TABLES = ("marac_authenticatorapp", "marac_backupcode")


def personal_strings() -> list[bytes]:
    values = []
    for _, _, victim in CASES:
        for field in PERSONAL:
            value = victim.get(field)
            values += [v.encode() for v in (value if isinstance(value, list) else [value]) if v]
    for people in PEOPLE_ON_CASES.values():
        for person in people.get("perpetrators", []) + people.get("children", []):
            values += [person[f].encode() for f in ("name", "address", "school") if person.get(f)]
    values += [owner.encode() for _, owner, *_ in ACTIONS]  # people's names, typed at the meeting
    values += [VENUE.encode()]
    assert len(values) > 15  # the demo data really has personal details to look for
    assert b"Tigrinya" in values and b"DC Amy Patel" in values  # a language and an owner are looked for
    return values


# Run inside the seeded database's own process: gives every demo person a set of backup codes, then
# prints every authenticator key (hex and base32, as an app or a QR code carries it) and every
# backup code, opened with the keyring, one per line after a marker (the log writes lines too).
READ_SECOND_FACTORS = """
from base64 import b32encode
from marac.models import User
from marac.second_factor import AuthenticatorApp, BackupCode
from marac.services import backup_codes_issue
for user in User.objects.filter(authenticatorapp__isnull=False).distinct():
    backup_codes_issue(user=user)
for app in AuthenticatorApp.objects.all():
    print("SECRET", app.bin_key.hex())
    print("SECRET", b32encode(app.bin_key).decode())
for code in BackupCode.objects.all():
    print("SECRET", code.secret().decode())
"""


def second_factor_secrets(env: dict[str, str]) -> list[bytes]:
    """The seeded database's second-factor secrets, in clear, as the service itself reads them."""
    lines = manage(env, "shell", "-c", READ_SECOND_FACTORS).stdout.splitlines()
    secrets_ = [line.removeprefix("SECRET ") for line in lines if line.startswith("SECRET ")]
    assert len(secrets_) > 20  # several authenticators and their people's backup codes
    return [value.encode() for value in secrets_]


def assert_no_personal_data(dump: bytes, secrets_: list[bytes] = ()) -> None:
    leaked = [value for value in personal_strings() + list(secrets_) if value in dump or value.lower() in dump.lower()]
    assert leaked == []


def test_the_sqlite_file_of_a_seeded_database_holds_no_plaintext(tmp_path):
    database = tmp_path / "dump.sqlite3"
    env = {
        "PATH": os.environ["PATH"],
        "MARAC_ENV": "dev",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("dump"),
    }
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    second_factors = second_factor_secrets(env)
    data = database.read_bytes()
    assert all(table.encode() in data for table in TABLES + SECOND_FACTOR_TABLES) and len(data) > 100_000  # a real, seeded database file
    assert_no_personal_data(data, second_factors)


@pytest.mark.django_db
def test_pg_dump_of_a_seeded_database_holds_no_plaintext():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL: CI runs this file on PostgreSQL too (make test with DATABASE_URL)")
    with scratch_postgres() as env:
        manage(env, "seed_demo")
        second_factors = second_factor_secrets(env)
        url = env["DATABASE_URL"]
        dump = subprocess.run(
            [shutil.which("pg_dump") or "pg_dump", "--data-only", url], capture_output=True, check=True, timeout=120
        ).stdout
    assert all(f"COPY public.{table} ".encode() in dump for table in TABLES + SECOND_FACTOR_TABLES)
    assert_no_personal_data(dump, second_factors)


def test_dumpdata_writes_no_plaintext_and_survives_a_shredded_case(case_a, case_b):
    services.case_shred(case=case_b, by=None)
    out = StringIO()
    call_command("dumpdata", "referrals", stdout=out)
    dump = out.getvalue()
    assert "referrals.historicalvictim" in dump
    for secret in ("Sarah", "1989-03-14", "Belvoir", "Ashby", "07700", "Aisha"):
        assert secret not in dump
