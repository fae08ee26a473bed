"""Print a keyring: a new one, or an existing one with a new primary key for rotation.

Prints to standard output and writes nothing, so the operator decides where key material goes
(a secret store, a 0600 file named by MARAC_KEYRING_FILE). See SECURITY.md, "Rotating keys".
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marac.security.keyring import KeyringError, keyring_with_new_primary, new_keyring_json


class Command(BaseCommand):
    help = "Print a new keyring, or (--add-primary-to FILE) that keyring with a new primary key."

    def add_arguments(self, parser):
        parser.add_argument("--key-id", default=f"kek-{date.today():%Y%m%d}", help="id for the new key")
        parser.add_argument("--add-primary-to", metavar="FILE", help="existing keyring file to extend")

    def handle(self, *args, key_id, add_primary_to, **options):
        if not add_primary_to:
            self.stdout.write(new_keyring_json(key_id))
            return
        try:
            self.stdout.write(keyring_with_new_primary(Path(add_primary_to).read_text(encoding="utf-8"), key_id))
        except (OSError, ValueError, KeyringError) as error:
            raise CommandError(f"Cannot extend {add_primary_to}: {error}") from None
