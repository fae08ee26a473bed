"""Strict readers for environment variables.

A typo in a deployment variable must stop the service, not silently fall back to a default:
a bad boolean or integer raises ImproperlyConfigured naming the variable. Secrets may come
from NAME or from a file named by NAME_FILE (for container and systemd credentials), never both.
No personal data passes through here, and values are never echoed in error messages.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env_str(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of: {', '.join(choices)}.")
    return value


def env_secret(name: str) -> str | None:
    """Read a secret from NAME or from the file named by NAME_FILE (trailing newline dropped)."""
    direct = env_str(name)
    path = env_str(f"{name}_FILE")
    if direct is not None and path is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path is None:
        return direct
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError:
        raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read.") from None
