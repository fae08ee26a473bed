"""rotate_keys throughput: data keys re-wrapped a second (target: at least 20,000 on SQLite)."""

import os
import time
import uuid

from _harness import report, test_database
from django.conf import settings
from django.db import connection

from marac.security import crypto
from marac.security.datakeys import _wrap_context, data_keys_rotate
from marac.security.keyring import Keyring, keyring_with_new_primary
from marac.security.models import DataKey

test_database()

KEYS = int(os.environ.get("BENCH_DATA_KEYS", "50000"))
old = settings.MARAC_KEYRING
rows = []
for _ in range(KEYS):
    key = DataKey(case_uuid=uuid.uuid4(), kek_id=old.primary_id)
    key.wrapped = crypto.encrypt(old.primary_key, os.urandom(32), _wrap_context(key.case_uuid, key.uuid, key.kek_id))
    rows.append(key)
DataKey.objects.bulk_create(rows, batch_size=2000)

settings.MARAC_KEYRING = Keyring.from_json(keyring_with_new_primary(old.to_json(), "bench-new"))
started = time.perf_counter()
result = data_keys_rotate()
seconds = time.perf_counter() - started
assert result == {"rewrapped": KEYS, "bench-new": KEYS}, result
rate = KEYS / seconds
report(f"rotate_keys on {connection.vendor} ({KEYS} data keys)", rate, "keys/s", ">= 20,000", rate >= 20_000)
