"""No text about a case sits in a plain column (docs/adr/0021).

The rule, read from the database itself (every table, on SQLite and PostgreSQL):

- a table holds case data when it can reach `referrals_case` through its foreign keys, at any
  depth, or is one of CASE_TABLES_WITHOUT_A_KEY_TO_THE_CASE; the history table of a case table
  (`<app>_historical<model>`, which simple-history writes without foreign keys) is one too;
- in those tables every text-like column (char, varchar, text, json) must be on ALLOWED, with a
  reason: a code, an id, a reference, a hash. Encrypted fields are binary columns, so they pass.

A new free-text column on a case table fails here until it is encrypted, or reviewed and listed.
"""

import pytest
from django.db import connection

from marac.security.backfill import sealed_text
from marac.security.fields import Ciphertext

CASE = "referrals_case"
TEXT_LIKE = {"CharField", "TextField", "JSONField", "SlugField", "EmailField", "URLField", "GenericIPAddressField"}

# Tables with no foreign key to a case that still say something about one.
CASE_TABLES_WITHOUT_A_KEY_TO_THE_CASE = {
    "meetings_meeting": "where a case is heard: a venue can identify a refuge",
}

CODE = "a code from a fixed list of choices"
HISTORY = {
    "history_type": "simple-history's +, ~ or -",
    "history_change_reason": "set by code only (a migration's fixed note), never typed",
    "history_client_ip": "the acting professional's address, not case content",
}
# Every column a reviewer has checked. Keyed by (table, column), "*" for any table; a history
# table shares its live table's entries.
ALLOWED: dict[tuple[str, str], str] = {
    **{("*", column): reason for column, reason in HISTORY.items()},
    ("*", "uuid"): "a random logical id (SQLite stores UUIDs as char(32))",
    ("referrals_case", "reference"): "the case reference: shown to every role that may know the case exists",
    ("referrals_case", "status"): CODE,
    ("referrals_victim", "gender"): "a coded monitoring answer the data return counts (ADR 0009)",
    ("referrals_victim", "ethnic_group"): "a coded monitoring answer the data return counts (ADR 0009)",
    ("referrals_victim", "disabled"): "a coded monitoring answer the data return counts (ADR 0009)",
    ("referrals_victim", "lgbt"): "a coded monitoring answer the data return counts (ADR 0009)",
    ("referrals_victim", "age_band"): "a coded band worked out from the encrypted date of birth (ADR 0009)",
    ("referrals_perpetrator", "relationship_to_victim"): CODE,
    ("referrals_riskassessment", "checklist_version"): "the checklist's version code",
    ("referrals_riskassessment", "override_band"): CODE,
    ("referrals_riskassessment", "status"): CODE,
    ("referrals_referral", "criteria"): "codes of the referral criteria met (a JSON list of codes)",
    ("referrals_referral", "consent"): CODE,
    ("referrals_referral", "status"): CODE,
    # Issue 18 (ADR 0025): whether the victim knows of the referral, read through the field policy;
    # and which safe-contact field changed (an alert says so, never the value).
    ("referrals_referral", "victim_aware"): "a yes / no / not known code; shown only through the field policy",
    ("referrals_casealert", "what"): "the name of the safe-contact field that changed, never its value",
    ("referrals_referralmessage", "kind"): CODE,
    ("referrals_incident", "kind"): CODE,
    # Another risk tool's assessment (ADR 0024): the tool, its version and level are codes from
    # referrals.risk_tools; the area's criteria when it was recorded, a JSON list of level codes.
    ("referrals_toolassessment", "tool"): CODE,
    ("referrals_toolassessment", "tool_version"): "the tool's version code from referrals.risk_tools",
    ("referrals_toolassessment", "level"): CODE,
    ("referrals_toolassessment", "high_risk_levels"): "a JSON list of the tool's level codes",
    ("referrals_casestatuschange", "kind"): CODE,
    ("referrals_casestatuschange", "reason"): CODE,
    # Legal holds and erasure requests (ADR 0027): the hold's reason is encrypted; these are codes.
    ("referrals_legalhold", "kind"): CODE,
    ("referrals_legalhold", "lift_reason"): CODE,
    ("referrals_erasurerequest", "reason"): CODE,
    ("referrals_erasurerequest", "status"): CODE,
    ("referrals_casetransfer", "reason"): CODE,
    ("referrals_breakglassgrant", "reason"): CODE,
    # Tables and columns other parts of issue 17 add (transfers accepted or declined, case
    # allocations, emergency access requests): codes and a typed case reference only.
    ("referrals_casetransfer", "status"): CODE,
    ("referrals_casetransfer", "decline_reason"): CODE,
    ("referrals_caseallocation", "kind"): CODE,
    ("referrals_emergencyaccessrequest", "reference"): "a case reference as typed ([A-Z0-9-]), no name",
    ("referrals_emergencyaccessrequest", "reason"): CODE,
    ("referrals_emergencyaccessrequest", "route"): CODE,
    ("referrals_emergencyaccessrequest", "status"): CODE,
    ("referrals_emergencyaccessrequest", "refusal"): CODE,
    ("referrals_emergencyaccessrequest", "extension_reason"): CODE,
    ("meetings_meeting", "status"): CODE,
    ("meetings_agendaitem", "added_because"): CODE,
    ("meetings_agendaitem", "removed_because"): CODE,
    ("meetings_agencyattendance", "status"): CODE,
    ("meetings_caseminutes", "decisions"): "codes of the decisions (a JSON list); shown only through the field policy",
    ("meetings_action", "owner_role"): "a named role's code (duty IDVA...), not a person",
    ("meetings_action", "status"): "a code; shown only through the field policy",
    ("meetings_actionupdate", "status"): "a code; shown only through the field policy",
    ("meetings_storedpack", "kind"): CODE,
    ("meetings_storedpack", "status"): CODE,
    ("meetings_storedpack", "email"): CODE,
    ("meetings_storedpack", "fingerprint"): "a keyed digest (hex) of the sealed pack",
    ("meetings_storedpack", "kek_id"): "the id of the key that wraps the pack's key",
    ("meetings_storedpack", "failure"): "a fixed message written by code, never document content",
    # The partner API's Idempotency-Keys (ADR 0030): keyed digests (hex), never a value sent.
    ("api_idempotencykey", "key"): "a keyed digest (hex) of the partner's Idempotency-Key, never the key itself",
    ("api_idempotencykey", "request_digest"): "a keyed digest (hex) of the request body, never its values",
    ("api_idempotencykey", "response_digest"): "a digest (hex) of the first response, which holds references and codes only",
}


def relations(cursor, table: str) -> set[str]:
    try:
        return {referenced for _, referenced in connection.introspection.get_relations(cursor, table).values()}
    except NotImplementedError:  # pragma: no cover - every backend we run has it
        return set()


def case_tables(cursor, tables: list[str]) -> set[str]:
    """Tables reaching referrals_case through foreign keys, the listed extras, and the history of each."""
    points_to = {table: relations(cursor, table) for table in tables}
    found = {CASE, *CASE_TABLES_WITHOUT_A_KEY_TO_THE_CASE}
    grew = True
    while grew:
        more = {table for table, targets in points_to.items() if targets & found} - found
        found |= more
        grew = bool(more)
    histories = {table for table in tables if "_historical" in table and table.replace("_historical", "_", 1) in found}
    return (found | histories) & set(tables)


def text_columns(cursor, table: str) -> list[str]:
    columns = []
    for column in connection.introspection.get_table_description(cursor, table):
        field_type = connection.introspection.get_field_type(column.type_code, column)
        if field_type in TEXT_LIKE:
            columns.append(column.name)
    return columns


def not_allowed(columns_by_table: dict[str, list[str]]) -> list[str]:
    """Every `table.column` that is text-like and not reviewed. History tables share their live
    table's reasons."""
    found = []
    for table, columns in sorted(columns_by_table.items()):
        live = table.replace("_historical", "_", 1)
        for column in columns:
            if ("*", column) in ALLOWED or (table, column) in ALLOWED or (live, column) in ALLOWED:
                continue
            found.append(f"{table}.{column}")
    return found


def schema_text_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return {table: text_columns(cursor, table) for table in case_tables(cursor, tables)}


@pytest.mark.django_db
def test_no_case_table_has_a_plain_text_column_nobody_reviewed():
    assert not_allowed(schema_text_columns()) == []


@pytest.mark.django_db
def test_the_rule_finds_the_tables_that_hold_case_data():
    with connection.cursor() as cursor:
        found = case_tables(cursor, connection.introspection.table_names(cursor))
    expected = {
        "referrals_victim",
        "referrals_historicalvictim",
        "referrals_perpetrator",
        "referrals_householdmember",
        "referrals_referral",
        "meetings_action",
        "meetings_historicalaction",
        "meetings_actionupdate",  # through its action, and its own case key
        "meetings_caseminutes",
        "meetings_minutesaddendum",
        "meetings_meeting",
        "meetings_historicalmeeting",
        "meetings_storedpack_cases",
    }
    assert expected <= found
    assert not found & {"marac_user", "marac_maracarea", "audit_accessevent", "marac_datakey"}


@pytest.mark.django_db
def test_the_columns_this_change_encrypted_are_not_text_any_more():
    columns = schema_text_columns()
    for table, column in [
        ("meetings_action", "owner"),
        ("meetings_historicalaction", "owner"),
        ("meetings_meeting", "venue"),
        ("meetings_historicalmeeting", "venue"),
        ("meetings_meeting", "observers"),
        ("referrals_victim", "language"),
        ("referrals_historicalvictim", "language"),
    ]:
        assert column not in columns[table], f"{table}.{column}"


def test_a_plain_column_on_a_case_table_is_reported():
    """The checker itself, on a made-up schema: a name column on a case table and on its history
    are caught, a listed code is not, and a table with no path to a case is left alone."""
    made_up = {
        "referrals_victim": ["gender", "nickname"],
        "referrals_historicalvictim": ["gender", "nickname", "history_type"],
        "meetings_action": ["status", "owner"],
    }
    assert not_allowed(made_up) == ["meetings_action.owner", "referrals_historicalvictim.nickname", "referrals_victim.nickname"]


@pytest.mark.django_db
def test_a_made_up_plain_column_in_the_real_schema_fails_the_check():
    """Add a text column to a real case table and the schema check reports it."""
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("ALTER TABLE meetings_actionupdate ADD COLUMN owner_nickname varchar(40) NULL")
    assert "meetings_actionupdate.owner_nickname" in not_allowed(schema_text_columns())


def test_the_rule_follows_foreign_keys_at_any_depth():
    class Cursor:
        pass

    graph = {"a_note": {"a_update"}, "a_update": {"a_action"}, "a_action": {CASE}, CASE: set(), "a_other": {"marac_user"}}
    tables = [*graph, "a_historicalnote", "a_historicalother"]
    original = globals()["relations"]
    globals()["relations"] = lambda cursor, table: graph.get(table, set())
    try:
        found = case_tables(Cursor(), tables)
    finally:
        globals()["relations"] = original
    assert found == {"a_note", "a_update", "a_action", CASE, "a_historicalnote"}


@pytest.mark.django_db
def test_what_a_migration_encrypts_reads_back_through_the_live_model(case_a, area, coordinator, chair, police):
    """marac.security.backfill writes exactly what the encrypted field would: the data migrations
    rely on it to turn plain values into ciphertext the live models read."""
    victim = case_a.victim
    stored = sealed_text(
        label="referrals.victim",
        field_name="language",
        row_uuid=victim.uuid,
        row_version=victim.row_version,
        data_key=case_a.data_key,
        value="Tigrinya",
    )
    type(victim).objects.filter(pk=victim.pk).update(language=Ciphertext(stored))
    victim.refresh_from_db()
    assert victim.language == "Tigrinya"
    assert b"Tigrinya" not in stored
