import time

from django.conf import settings
from django.core.management.base import BaseCommand

import audit
from marac.second_factor import second_factor_secrets_by_kek, second_factor_secrets_rotate
from marac.security.datakeys import data_keys_rotate


class Command(BaseCommand):
    help = "Re-wrap every case data key, and re-seal every second-factor secret, under the keyring's primary key. Safe to run again."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = data_keys_rotate()
        resealed = second_factor_secrets_rotate()["resealed"]
        seconds = time.perf_counter() - started
        primary = settings.MARAC_KEYRING.primary_id
        rewrapped = result.pop("rewrapped")
        audit.record(
            event="key_rotation", purpose=f"{rewrapped} data keys re-wrapped and {resealed} second-factor secrets re-sealed under {primary}"
        )
        self.stdout.write(f"Re-wrapped {rewrapped} data keys under {primary} in {seconds:.2f} s.")
        self.stdout.write(f"Re-sealed {resealed} second-factor secrets (authenticator keys, backup codes) under {primary}.")
        for kek_id, count in result.items():
            self.stdout.write(f"  {kek_id}: {count} data keys")
        secrets = second_factor_secrets_by_kek()
        for kek_id, count in secrets.items():
            self.stdout.write(f"  {kek_id}: {count} second-factor secrets")
        for kek_id in sorted(set(settings.MARAC_KEYRING.keys) - {primary}):
            left = result.get(kek_id, 0) + secrets.get(kek_id, 0)
            if left == 0:
                self.stdout.write(f"Key {kek_id} wraps nothing now and can be retired from the keyring.")
            else:
                self.stdout.write(f"Key {kek_id} still wraps {left} data keys or second-factor secrets: run rotate_keys again.")
