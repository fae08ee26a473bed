"""A throwaway database for tests that need committed data across connections or processes
(pg_dump, concurrent appenders). pytest-django's transactional tests empty tables with TRUNCATE
or DELETE afterwards, which the append-only audit triggers rightly refuse, so such tests run in
a database of their own, dropped at the end.

Migrating takes about 23 seconds of a core, on either engine, and some twenty tests want a
scratch database: so the first one in a run is migrated in a subprocess and kept as a template,
and each scratch database is a copy of it (CREATE DATABASE ... TEMPLATE on PostgreSQL, a copy of
the file on SQLite), with the same keys. The template goes when the run ends."""

import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.db import connection

from marac.security.keyring import new_keyring_json

ROOT = Path(__file__).resolve().parents[1]


def scratch_env(database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "MARAC_ENV": "dev",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("scratch"),
        # Not the developer's var/broker: work a scratch server queues goes nowhere unless a test
        # starts a worker with a broker of its own.
        "CELERY_BROKER_URL": "memory://",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=600)


def _postgres_admin() -> dict:
    server = connection.settings_dict
    return {"host": server["HOST"] or "127.0.0.1", "port": server["PORT"] or 5432, "user": server["USER"], "dbname": "postgres"}


def _postgres_url(admin: dict, name: str) -> str:
    return f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}"


_templates: dict[str, dict[str, str]] = {}  # "postgresql" or "sqlite": the migrated template's environment


def _postgres_template(admin: dict) -> dict[str, str]:
    if "postgresql" not in _templates:
        name = f"marac_scratch_template_{secrets.token_hex(4)}"
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop_postgres, admin, name)
        env = scratch_env(_postgres_url(admin, name))
        manage(env, "migrate", "-v0")
        _templates["postgresql"] = {**env, "TEMPLATE_NAME": name}
    return _templates["postgresql"]


def _drop_postgres(admin: dict, name: str) -> None:
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_postgres(admin: dict, template: str, name: str) -> None:
    # A copy needs the template to have no connection; the migrating process's may take a moment
    # to end after it exits.
    for attempt in range(20):
        try:
            with psycopg.connect(**admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.25)


@contextmanager
def scratch_postgres():
    """Yields the environment for a new, migrated PostgreSQL database on the server the tests use."""
    admin = _postgres_admin()
    template = _postgres_template(admin)
    name = f"marac_scratch_{secrets.token_hex(4)}"
    _copy_postgres(admin, template["TEMPLATE_NAME"], name)
    env = {key: value for key, value in template.items() if key != "TEMPLATE_NAME"}
    env["DATABASE_URL"] = _postgres_url(admin, name)
    try:
        yield env
    finally:
        _drop_postgres(admin, name)


def python_in_scratch_postgres(script: str) -> str:
    """Run `script` (it calls django.setup() itself) against a new migrated database; its output."""
    with scratch_postgres() as env:
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "marac.settings"},
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    return result.stdout


@contextmanager
def scratch_database():
    """Yields the environment for a new, migrated database on the engine the tests use: a
    PostgreSQL database as scratch_postgres, or an SQLite file removed afterwards."""
    if connection.vendor == "postgresql":
        with scratch_postgres() as env:
            yield env
        return
    with tempfile.TemporaryDirectory(prefix="marac-scratch-") as folder:
        yield scratch_sqlite(Path(folder) / "scratch.sqlite3")


def scratch_sqlite(path: Path) -> dict[str, str]:
    """A migrated SQLite database at `path` (a copy of the run's template); its environment."""
    if "sqlite" not in _templates:
        folder = tempfile.mkdtemp(prefix="marac-scratch-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        env = scratch_env(f"sqlite:///{folder}/template.sqlite3")
        manage(env, "migrate", "-v0")
        _templates["sqlite"] = {**env, "TEMPLATE_PATH": f"{folder}/template.sqlite3"}
    template = _templates["sqlite"]
    shutil.copyfile(template["TEMPLATE_PATH"], path)
    env = {key: value for key, value in template.items() if key != "TEMPLATE_PATH"}
    env["DATABASE_URL"] = f"sqlite:///{path}"
    return env
