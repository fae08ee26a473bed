"""Create development secrets under var/ if they are absent: `python -m marac.devkeys var`.

Runs before Django is configured (settings read these files in dev mode), so it imports no
Django. Existing files are never overwritten: replacing the keyring would make an existing
development database unreadable once records are encrypted.
"""

import json
import os
import secrets
import sys
from datetime import date
from pathlib import Path

from marac.security.keyring import INDEX_NAMES, new_key_b64, new_keyring_json

# A file name; the key in it is random
SECRET_KEY_NAME = "dev-secret-key"  # noqa: S105  # nosec B105
KEYRING_NAME = "dev-keyring.json"


def write_private(path: Path, text: str) -> bool:
    """Write text readable by the owner only; return False if the file already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def ensure_dev_keys(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    if write_private(directory / SECRET_KEY_NAME, secrets.token_urlsafe(64)):
        created.append(SECRET_KEY_NAME)
    if write_private(directory / KEYRING_NAME, new_keyring_json(f"dev-{date.today():%Y%m%d}")):
        created.append(KEYRING_NAME)
    elif add_missing_index_keys(directory / KEYRING_NAME):
        created.append("blind-index keys")
    return created


def add_missing_index_keys(path: Path) -> bool:
    """Give an older development keyring the blind-index keys added since; keep every other key."""
    data = json.loads(path.read_text(encoding="utf-8"))
    index_keys = data.setdefault("index_keys", {})
    missing = [name for name in INDEX_NAMES if name not in index_keys]
    for name in missing:
        index_keys[name] = new_key_b64()
    if missing:
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return bool(missing)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var")
    made = ensure_dev_keys(target)
    print(f"Created {', '.join(made)} in {target}/" if made else f"Development keys already in {target}/")
