"""Row events: each save of a record holding victim data writes its row's version and a digest of
its ciphertexts into the chain (ADR 0023), so a whole row put back from a backup shows.

Four nullable columns (no table is rebuilt: on SQLite a rebuild would drop the append-only
triggers with the old table) and a partial index for "the latest entry of each row". The hash
covers them: an event with a row appends [row_model, row_id, row_version, row_digest] to the
content array; an event without one (every event before this migration) hashes exactly as before,
so the old chain still verifies. On PostgreSQL the linking trigger (migration 0003) is replaced by
the same function with that one addition; audit/chain.py does the same in Python.
"""

import importlib

from django.db import migrations, models

LINKING = importlib.import_module("audit.migrations.0003_database_links_the_chain")
REFUSALS = importlib.import_module("audit.migrations.0002_append_only")

# 0003's content, ending with the previous hash, gains the row's facts when the event has a row.
BEFORE = """        || ',' || to_json(NEW.previous_hash)::text
        || ']';"""
AFTER = """        || ',' || to_json(NEW.previous_hash)::text
        || CASE WHEN NEW.row_model IS NULL THEN '' ELSE
               ',' || to_json(NEW.row_model)::text
            || ',' || coalesce(NEW.row_id::text, 'null')
            || ',' || coalesce(NEW.row_version::text, 'null')
            || ',' || coalesce(to_json(NEW.row_digest)::text, 'null')
           END
        || ']';"""
if BEFORE not in LINKING.LINK:  # 0003 is frozen; this guards a careless edit of it
    raise RuntimeError("audit migration 0003's linking function is not the one this migration extends")
LINK_WITH_ROWS = LINKING.LINK.replace(BEFORE, AFTER)


def _replace_linking(schema_editor, function: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    names = {"{schema}": schema_editor.quote_name(schema), "{lock_id}": str(LINKING.CHAIN_LOCK_ID)}
    for placeholder, value in names.items():
        function = function.replace(placeholder, value)
    schema_editor.execute(function)


def refuse_changes_again(apps, schema_editor):
    """Going back: should removing the columns rebuild the table on SQLite (older SQLite cannot
    drop a column), the append-only triggers go with the old one; migration 0002's are put back."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in REFUSALS.SQLITE:
            schema_editor.execute(statement.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))


def link_rows(apps, schema_editor):
    _replace_linking(schema_editor, LINK_WITH_ROWS)


def link_without_rows(apps, schema_editor):
    _replace_linking(schema_editor, LINKING.LINK)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_database_links_the_chain")]

    operations = [
        # Runs last when going back, after the columns' removal has rebuilt the table.
        migrations.RunPython(migrations.RunPython.noop, refuse_changes_again),
        migrations.AddField(
            model_name="accessevent",
            name="row_model",
            field=models.CharField(blank=True, max_length=60, null=True),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="row_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="row_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="row_digest",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(
                condition=models.Q(("row_model__isnull", False)), fields=["row_model", "row_id", "sequence"], name="audit_row_latest_idx"
            ),
        ),
        # After the columns: the function names them.
        migrations.RunPython(link_rows, link_without_rows),
    ]
