"""Settings refuse to start a production service without its secrets, and read the
environment strictly. Production settings are loaded in a fresh interpreter each time."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from marac.env import env_bool, env_int, env_secret
from marac.security.keyring import Keyring, KeyringError, new_keyring_json

ROOT = Path(__file__).resolve().parents[2]
LOAD_SETTINGS = "import django; django.setup(); from django.conf import settings; print(settings.MARAC_ENV)"


def production_env(**overrides) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "marac.settings",
        "MARAC_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("prod-1"),
        "ALLOWED_HOSTS": "marac.example.org",
        "DATABASE_URL": "postgres://marac@db.invalid/marac",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def run(code_or_args, env) -> subprocess.CompletedProcess:
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_complete_production_settings_load():
    result = run(LOAD_SETTINGS, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production"


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be at least 50"),
        ({"SECRET_KEY": "x" * 64}, "SECRET_KEY must be at least 50 random"),
        ({"SECRET_KEY": secrets.token_urlsafe(32) + " " + secrets.token_urlsafe(32)}, "without spaces"),
        ({"SECRET_KEY_FALLBACKS": f"{secrets.token_urlsafe(64)} too-short"}, "Each of SECRET_KEY_FALLBACKS must be at least 50"),
        ({"SECRET_KEY_FALLBACKS": "x" * 64}, "Each of SECRET_KEY_FALLBACKS must be at least 50 random"),
        ({"MARAC_KEYRING": None}, "MARAC_KEYRING (or MARAC_KEYRING_FILE) must be set"),
        ({"MARAC_KEYRING": '{"primary": "a", "keys": {"a": "dG9vIHNob3J0"}}'}, "must be 32 bytes"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must list"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"DATABASE_URL": "sqlite:////tmp/marac.sqlite3"}, "must be a PostgreSQL database in production"),
        ({"MARAC_DEBUG": "true"}, "MARAC_DEBUG must be off in production"),
        ({"MARAC_DEBUG": "maybe"}, "MARAC_DEBUG must be one of"),
        ({"MARAC_ENV": None, "SECRET_KEY": None}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"MARAC_ENV": "staging"}, "MARAC_ENV must be one of"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL must be set in production"),
        ({"CELERY_BROKER_URL": "filesystem://localhost/"}, "must be a Redis broker in production"),
        ({"CELERY_BROKER_URL": "redis://redis.internal:6379/0"}, "needs a password"),
        ({"MARAC_TASKS_IN_PROCESS": "true"}, "MARAC_TASKS_IN_PROCESS is for tests"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(overrides, message):
    result = run(LOAD_SETTINGS, production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_key_material_is_never_echoed_in_errors():
    secret_looking = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
    result = run(LOAD_SETTINGS, production_env(MARAC_KEYRING=f'{{"primary": "a", "keys": {{"a": "{secret_looking}"}}}}'))
    assert result.returncode != 0
    assert secret_looking not in result.stderr
    refused_fallback = "x" * 30 + secrets.token_urlsafe(8)  # too short to be accepted
    result = run(LOAD_SETTINGS, production_env(SECRET_KEY_FALLBACKS=refused_fallback))
    assert result.returncode != 0 and "SECRET_KEY_FALLBACKS" in result.stderr
    assert refused_fallback not in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    key = secrets.token_urlsafe(64)
    (tmp_path / "secret").write_text(key + "\n")
    (tmp_path / "keyring").write_text(new_keyring_json("from-file"))
    env = production_env(
        SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "secret"), MARAC_KEYRING=None, MARAC_KEYRING_FILE=str(tmp_path / "keyring")
    )
    code = LOAD_SETTINGS + f"; print(settings.SECRET_KEY == '{key}', settings.MARAC_KEYRING.primary_id)"
    result = run(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "from-file"]


def test_earlier_secret_keys_are_read_as_fallbacks(tmp_path):
    earlier = [secrets.token_urlsafe(64), secrets.token_urlsafe(64)]
    (tmp_path / "fallbacks").write_text(f"{earlier[0]}\n{earlier[1]}\n")
    code = LOAD_SETTINGS + "; print(*settings.SECRET_KEY_FALLBACKS)"
    result = run(code, production_env(SECRET_KEY_FALLBACKS_FILE=str(tmp_path / "fallbacks")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == earlier
    assert run(code, production_env()).stdout.split() == ["production"]  # none unless given


def test_production_cookies_are_secure_host_only_and_hsts_is_on():
    code = LOAD_SETTINGS + (
        "; print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,"
        " settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS > 0)"
    )
    result = run(code, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-6:] == ["__Host-marac-session", "__Host-marac-csrf", "True", "True", "True", "True"]


def test_production_hashes_passwords_with_djangos_argon2_at_its_full_costs():
    result = run(LOAD_SETTINGS + "; print(settings.PASSWORD_HASHERS)", production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "['django.contrib.auth.hashers.Argon2PasswordHasher']"


def test_check_deploy_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_boolean_raises(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_FLAG", "Off")
    assert env_bool("SOME_FLAG", True) is False


def test_a_bad_number_raises(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("SOME_NUMBER", 1, minimum=0)


def test_a_secret_set_twice_raises(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_SECRET", "a")
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "x"))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("SOME_SECRET")


def test_a_missing_secret_file_raises(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("SOME_SECRET")


def test_the_keyring_does_not_show_its_keys_when_printed():
    keyring = Keyring.from_json(new_keyring_json("k1"))
    assert "k1" in repr(keyring)
    assert repr(keyring.primary_key) not in repr(keyring)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"keys": {}}',
        '{"primary": "b", "keys": {"a": "' + "A" * 44 + '"}}',
        '{"primary": "a b", "keys": {"a b": "' + "A" * 44 + '"}}',
        '{"primary": "a", "keys": {"a": "%%%"}}',
    ],
)
def test_malformed_keyrings_are_refused(text):
    with pytest.raises(KeyringError):
        Keyring.from_json(text)
