"""Make the access log append-only in the database itself: UPDATE, DELETE and (on PostgreSQL)
TRUNCATE are refused by triggers, whoever runs them through the application's connection.

On PostgreSQL the triggers are ENABLE ALWAYS, so they also fire under session_replication_role
= replica. A superuser or the table's owner can still disable them: the hash chain is what
catches that (SECURITY.md gives the GRANTs that keep the application role from owning the table).
"""

from django.db import migrations

POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_accessevent_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only (%% refused)', TG_OP; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER audit_accessevent_no_change BEFORE UPDATE OR DELETE ON audit_accessevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_accessevent_refuse()",
    "CREATE TRIGGER audit_accessevent_no_truncate BEFORE TRUNCATE ON audit_accessevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_refuse()",
    "ALTER TABLE audit_accessevent ENABLE ALWAYS TRIGGER audit_accessevent_no_change",
    "ALTER TABLE audit_accessevent ENABLE ALWAYS TRIGGER audit_accessevent_no_truncate",
]
SQLITE = [
    "CREATE TRIGGER audit_accessevent_no_update BEFORE UPDATE ON audit_accessevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END",
    "CREATE TRIGGER audit_accessevent_no_delete BEFORE DELETE ON audit_accessevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END",
]


def install(apps, schema_editor):
    statements = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
