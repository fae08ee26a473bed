import time

from django.conf import settings
from django.core.management.base import BaseCommand

import audit
from marac.security.datakeys import data_keys_rotate


class Command(BaseCommand):
    help = "Re-wrap every case data key under the keyring's primary key. Safe to run again."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = data_keys_rotate()
        seconds = time.perf_counter() - started
        primary = settings.MARAC_KEYRING.primary_id
        rewrapped = result.pop("rewrapped")
        audit.record(event="key_rotation", purpose=f"{rewrapped} data keys re-wrapped under {primary}")
        self.stdout.write(f"Re-wrapped {rewrapped} data keys under {primary} in {seconds:.2f} s.")
        for kek_id, count in result.items():
            self.stdout.write(f"  {kek_id}: {count} data keys")
        for kek_id in sorted(set(settings.MARAC_KEYRING.keys) - {primary}):
            if result.get(kek_id, 0) == 0:
                self.stdout.write(f"Key {kek_id} wraps nothing now and can be retired from the keyring.")
            else:
                self.stdout.write(f"Key {kek_id} still wraps {result[kek_id]} data keys: run rotate_keys again.")
