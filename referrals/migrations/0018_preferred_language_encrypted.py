"""The victim's preferred language, typed by hand, moves from a plain column into an encrypted one
under the case's data key, in the live table and in every history row (docs/adr/0021). Each history
row is encrypted at its own version, so history still reads; an erased case's rows keep nothing.
One way: going back leaves the languages blank rather than decrypting them into a plain column."""

from django.db import migrations

import marac.security.fields
from marac.security.backfill import sealed_text
from marac.security.fields import Ciphertext

LABEL = "referrals.victim"


def encrypt_languages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Rows are updated and then the tables altered in one transaction: checked now, not at
        # commit, so PostgreSQL has no pending trigger events when the old column is dropped.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Victim = apps.get_model("referrals", "Victim")
    HistoricalVictim = apps.get_model("referrals", "HistoricalVictim")
    keys = {}
    for victim in Victim.objects.select_related("case__data_key").iterator():
        keys[victim.case_id] = victim.case.data_key
        Victim.objects.filter(pk=victim.pk).update(language=_sealed(victim, victim.case.data_key))
    for row in HistoricalVictim.objects.iterator():
        key = keys.get(row.case_id)
        if key is None:  # the live victim is gone (it never is: PROTECT), so is anything to read
            HistoricalVictim.objects.filter(pk=row.pk).update(language=b"")
            continue
        HistoricalVictim.objects.filter(pk=row.pk).update(language=_sealed(row, key))


def _sealed(row, data_key) -> Ciphertext:
    return Ciphertext(
        sealed_text(
            label=LABEL, field_name="language", row_uuid=row.uuid, row_version=row.row_version, data_key=data_key, value=row.language_plain
        )
    )


def language_field():
    return marac.security.fields.EncryptedTextField(
        blank=True, default=b"", help_text="Language the victim prefers, if not English.", max_length=60
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0017_transfer_acceptance"), ("marac", "0002_blindindexentry_datakey")]

    operations = [
        migrations.RenameField(model_name="victim", old_name="language", new_name="language_plain"),
        migrations.RenameField(model_name="historicalvictim", old_name="language", new_name="language_plain"),
        migrations.AddField(model_name="victim", name="language", field=language_field(), preserve_default=False),
        migrations.AddField(model_name="historicalvictim", name="language", field=language_field(), preserve_default=False),
        migrations.RunPython(encrypt_languages, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="victim", name="language_plain"),
        migrations.RemoveField(model_name="historicalvictim", name="language_plain"),
    ]
