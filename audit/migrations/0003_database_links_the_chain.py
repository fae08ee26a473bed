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

ASCII_ESCAPE = r"""
CREATE OR REPLACE FUNCTION audit_ascii_json(json_text text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    escaped text := '';
    letter text;
    code integer;
BEGIN
    -- Python's ensure_ascii: \uXXXX for DEL and every letter past ASCII, a surrogate pair past U+FFFF.
    -- Outside strings JSON text is ASCII, so escaping the whole text escapes within strings only.
    FOREACH letter IN ARRAY regexp_split_to_array(json_text, '') LOOP
        code := ascii(letter);
        IF code < 127 THEN
            escaped := escaped || letter;
        ELSIF code < 65536 THEN
            escaped := escaped || '\u' || lpad(to_hex(code), 4, '0');
        ELSE
            escaped := escaped || '\u' || to_hex(55296 + ((code - 65536) >> 10))
                               || '\u' || to_hex(56320 + ((code - 65536) & 1023));
        END IF;
    END LOOP;
    RETURN escaped;
END $$
"""

LINK = f"""
CREATE OR REPLACE FUNCTION audit_accessevent_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_sequence bigint;
    head_hash text;
    content text;
BEGIN
    -- A row that arrives linked (a restore from pg_dump) is kept as it is, for verify_audit_chain
    -- to judge: relinking it here would launder a dump with events cut out of it.
    IF NEW.sequence IS NOT NULL OR NEW.previous_hash IS NOT NULL OR NEW.hash IS NOT NULL THEN
        RETURN NEW;
    END IF;
    -- Held until the inserting transaction ends: appenders queue here, so the chain cannot fork.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_ID});
    -- A query after the lock, so under READ COMMITTED it sees the head the last holder committed,
    -- and the rows this statement inserted before this one.
    SELECT sequence, hash INTO head_sequence, head_hash FROM audit_accessevent ORDER BY sequence DESC LIMIT 1;
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
        content := audit_ascii_json(content);
    END IF;
    NEW.hash := encode(sha256(convert_to(content, 'UTF8')), 'hex');
    RETURN NEW;
END $$
"""

POSTGRES = [
    ASCII_ESCAPE,
    LINK,
    "CREATE TRIGGER audit_accessevent_link BEFORE INSERT ON audit_accessevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_accessevent_link()",
    # As the refusing triggers: fires under session_replication_role = replica too.
    "ALTER TABLE audit_accessevent ENABLE ALWAYS TRIGGER audit_accessevent_link",
]
REMOVE = [
    "DROP TRIGGER audit_accessevent_link ON audit_accessevent",
    "DROP FUNCTION audit_accessevent_link()",
    "DROP FUNCTION audit_ascii_json(text)",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(install, remove)]
