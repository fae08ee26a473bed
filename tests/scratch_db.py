"""A throwaway database for tests that need committed data across connections or processes
(pg_dump, concurrent appenders). pytest-django's transactional tests empty tables with TRUNCATE
or DELETE afterwards, which the append-only audit triggers rightly refuse, so such tests run in
a database of their own, migrated in a subprocess and dropped at the end."""

import os
import secrets
import subprocess
import sys
import tempfile
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


@contextmanager
def scratch_postgres():
    """Yields the environment for a new, migrated PostgreSQL database on the server the tests use."""
    server = connection.settings_dict
    name = f"marac_scratch_{secrets.token_hex(4)}"
    admin = {"host": server["HOST"] or "127.0.0.1", "port": server["PORT"] or 5432, "user": server["USER"], "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}"
    env = scratch_env(url)
    try:
        manage(env, "migrate", "-v0")
        yield env
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        env = scratch_env(f"sqlite:///{folder}/scratch.sqlite3")
        manage(env, "migrate", "-v0")
        yield env
