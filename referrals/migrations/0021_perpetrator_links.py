"""Serial perpetrators (issue 18, ADR 0026): no schema change, and deliberately no data migration.

The links use the existing blind-index table (marac.security.BlindIndexEntry) under a new index
name, `perpetrator_name_dob`, with its own key in the keyring. Both lookups the links make are
already indexed: a case's own entries by `case_uuid`, the matching entries by
(`index_name`, `digest`) (`blindindex_lookup_idx`).

Indexing the perpetrators recorded before this release means decrypting each one's name, aliases
and date of birth under its case's data key and the new index key. A migration works on
historical models, which cannot decrypt, and would make `migrate` need the keyring and hold one
transaction over every perpetrator. So it is a command instead, run once after upgrading,
idempotent and safe to repeat: `manage.py index_perpetrators`.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0020_victims_voice_and_safe_contact")]

    operations = []
