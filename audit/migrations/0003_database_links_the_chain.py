"""On PostgreSQL the database links each new access event into the hash chain itself (ADR 0013).

A BEFORE INSERT trigger takes the chain's advisory lock, reads the head, and sets the event's
sequence, previous hash and hash, so appending an event is one INSERT in one round trip instead
of five (begin, lock, read head, insert, commit). A row that arrives with its links already set
(a restore) is stored as it is: verify_audit_chain judges it, as it judges every row.

The hash is over the same canonical serialisation as audit/chain.py writes and verifies: Python's
json.dumps of the content as a JSON array, with ",", ":" separators and non-ASCII escaped.
PostgreSQL's to_json escapes exactly as Python does below U+007F (DEL); audit_ascii_json adds
Python's \\uXXXX escapes (a surrogate pair above U+FFFF) for DEL and anything past ASCII.
tests/audit/test_chain_in_the_database.py checks the two agree on hostile strings. SQLite keeps
linking in Python (audit/chain.py).
"""

from django.db import migrations

CHAIN_LOCK_ID = 0x6D61726163  # "marac": the same key the Python appender took before this migration

# Python's ensure_ascii: \uXXXX for DEL and every letter past ASCII, a surrogate pair past
# U+FFFF. JSON text is ASCII outside its strings, so escaping the whole text escapes within
# strings only. Set-based, so its time grows with the length, not its square; E'\\u' whatever
# standard_conforming_strings says.
ASCII_ESCAPE = r"""
CREATE OR REPLACE FUNCTION {schema}.audit_ascii_json(json_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(string_agg(CASE
        WHEN ascii(letter) < 127 THEN letter
        WHEN ascii(letter) < 65536 THEN E'\\u' || lpad(to_hex(ascii(letter)), 4, '0')
        ELSE E'\\u' || to_hex(55296 + ((ascii(letter) - 65536) >> 10)) || E'\\u' || to_hex(56320 + ((ascii(letter) - 65536) & 1023))
    END, '' ORDER BY position), '')
    FROM regexp_split_to_table(json_text, '') WITH ORDINALITY AS letters(letter, position)
$$
"""

# The table and the escaping function are named with their schema, found when migrating, so a
# temporary table of the same name (any role may create one) cannot stand in for the chain.
LINK = r"""
CREATE OR REPLACE FUNCTION {schema}.audit_accessevent_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_sequence bigint;
    head_hash text;
    content text;
BEGIN
    -- A restore (pg_dump's data, loaded by the table's owner or a superuser) arrives linked and
    -- is kept as it is, for verify_audit_chain to judge: relinking it would launder a dump with
    -- events cut out of it. From anyone else, such as the application's role, links are ignored.
    IF (NEW.sequence IS NOT NULL OR NEW.previous_hash IS NOT NULL OR NEW.hash IS NOT NULL)
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN NEW;
    END IF;
    -- Only what the verifier can read back exactly: field names, and a time Python can hold.
    IF jsonb_typeof(NEW.fields) <> 'array' OR jsonb_path_exists(NEW.fields, 'strict $[*] ? (@.type() != "string")') THEN
        RAISE EXCEPTION 'audit event fields must be a list of field names';
    END IF;
    IF NEW.at < '0001-01-02' OR NEW.at >= '9999-12-31' THEN
        RAISE EXCEPTION 'audit event time out of range';
    END IF;
    -- Held until the inserting transaction ends: appenders queue here, so the chain cannot fork.
    PERFORM pg_advisory_xact_lock({lock_id});
    -- A query after the lock, so under READ COMMITTED it sees the head the last holder committed,
    -- and the rows this statement inserted before this one.
    SELECT sequence, hash INTO head_sequence, head_hash FROM {schema}.audit_accessevent ORDER BY sequence DESC LIMIT 1;
    NEW.sequence := coalesce(head_sequence, 0) + 1;
    NEW.previous_hash := coalesce(head_hash, repeat('0', 64));
    content := '[' || NEW.sequence
        || ',"' || to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
        || ',' || coalesce(NEW.user_id::text, 'null')
        || ',' || to_json(NEW.event)::text
        || ',' || to_json(NEW.case_reference)::text
        || ',' || to_json(ARRAY(SELECT name FROM jsonb_array_elements_text(NEW.fields) WITH ORDINALITY AS field(name, position)
                                ORDER BY position))::text
        || ',' || to_json(NEW.purpose)::text
        || ',' || to_json(NEW.outcome)::text
        || ',' || to_json(NEW.client_ip)::text
        || ',' || to_json(NEW.previous_hash)::text
        || ']';
    IF octet_length(content) <> length(content) OR strpos(content, chr(127)) > 0 THEN
        content := {schema}.audit_ascii_json(content);
    END IF;
    NEW.hash := encode(sha256(convert_to(content, 'UTF8')), 'hex');
    RETURN NEW;
END $$
"""

TRIGGER = [
    "CREATE TRIGGER audit_accessevent_link BEFORE INSERT ON {schema}.audit_accessevent "
    "FOR EACH ROW EXECUTE FUNCTION {schema}.audit_accessevent_link()",
    # As the refusing triggers: fires under session_replication_role = replica too.
    "ALTER TABLE {schema}.audit_accessevent ENABLE ALWAYS TRIGGER audit_accessevent_link",
]
REMOVE = [
    "DROP TRIGGER audit_accessevent_link ON audit_accessevent",
    "DROP FUNCTION audit_accessevent_link()",
    "DROP FUNCTION audit_ascii_json(text)",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_encoding'), current_schema()")
        encoding, schema = cursor.fetchone()
    if encoding != "UTF8":
        # Elsewhere length() counts bytes, the escaping test above never fires, and every event
        # with an accented letter would verify as tampered, for ever.
        raise RuntimeError(f"The database must use UTF8, not {encoding}: create it with ENCODING 'UTF8'.")
    names = {"schema": schema_editor.quote_name(schema), "lock_id": CHAIN_LOCK_ID}
    for statement in [ASCII_ESCAPE, LINK, *TRIGGER]:
        schema_editor.execute(statement.replace("{schema}", names["schema"]).replace("{lock_id}", str(names["lock_id"])))


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(install, remove)]
