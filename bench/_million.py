# ruff: noqa: S608  (every statement is built from this file's constants and integers, never from input)
"""A scratch PostgreSQL database of 1,000,000 referrals in 290 areas, built once with SQL and kept
between runs, for the measures and data-return benchmarks (issue 18).

seed_scale encrypts every row through Python and takes some 37 minutes for a million; nothing
these benchmarks time decrypts anything, so here every encrypted column holds the same dummy
ciphertext and the rows are written by INSERT ... SELECT over generate_series in a few minutes.
Foreign keys are not checked while it builds (session_replication_role = replica): the ids are
made to fit. The database is named by DATABASE_URL (e.g. .../bench_million) and never dropped by
these scripts; a marker table says it is built, so a second run only brings the schema up to date.

Shape, near the national figures (DESIGN 5): 290 areas, a meeting a fortnight in each for ten
years (75,400 meetings, all held), ~13 referrals a meeting, one case and victim per referral, 90%
accepted and heard (3% of hearings reviews, 2% taken off), 32% repeats, first contact recorded for
6 in 7 referrals 0-10 days after submission, one action per hearing owned by one of ten agencies
(two thirds done, a fifth of those late), about 0.9 children and one perpetrator a case.
"""

import os
import time

from django.core.management import call_command
from django.db import connection, transaction

REFERRALS = int(os.environ.get("BENCH_MILLION_REFERRALS", "1000000"))
AREAS = 290
MEETINGS_PER_AREA = 260  # fortnightly for ten years
MARKER = "bench_million_built"
PREFIX = os.environ.get("BENCH_MILLION_PREFIX", "bench_million")  # a database of one's own; never the test suite's
DUMMY = "'\\x00'::bytea"  # fixed dummy ciphertext: nothing here decrypts

AGENCY_KINDS = [
    "police",
    "idva",
    "childrens_social_care",
    "adult_social_care",
    "health",
    "housing",
    "probation",
    "education",
    "substance_misuse",
    "other",
]


def _statements(referrals: int) -> list[tuple[str, str]]:
    meetings = AREAS * MEETINGS_PER_AREA
    # Ids follow time, as real rows do (a meeting's agenda is written together, cases as they are
    # referred), so the tables are laid out on disk as a live database's would be: meeting m is the
    # (m - 1) / 290-th fortnight's meeting of area 1 + (m - 1) % 290, and referrals r are heard at
    # meetings in order, ~13 to a meeting.
    m = f"(1 + ((r - 1)::bigint * {meetings}) / {referrals})::int"
    meeting_day = f"(current_date - 3654 + (({m} - 1) / {AREAS}) * 14 + (1 + ({m} - 1) % {AREAS}) % 14)"
    area = f"(1 + ({m} - 1) % {AREAS})"
    submitted = f"({meeting_day} - 7 - r % 21)"
    b = DUMMY
    return [
        (
            "areas",
            f"""INSERT INTO marac_maracarea (id, name, short_code, high_risk_threshold, escalation_callouts,
                referral_cutoff_working_days, repeat_definition, adult_female_population, nation, escalation_basis,
                reassessment_weeks, retention_months)
            SELECT a, 'Bench area ' || a, 'B' || a, 14, 3, 8, CASE WHEN a % 5 = 0 THEN 'ni32_2008' ELSE 'current' END,
                80000 + (a * 997) % 60000, 'ENG', 'incidents_reported', 12, NULL
            FROM generate_series(1, {AREAS}) a""",
        ),
        (
            "agencies",
            "INSERT INTO marac_agency (id, name, kind) SELECT k, 'Bench agency ' || k, (ARRAY['"
            + "','".join(AGENCY_KINDS)
            + "'])[k] FROM generate_series(1, 10) k",
        ),
        (
            "user",
            """INSERT INTO marac_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
                is_active, date_joined) VALUES (1, '!', false, 'bench', '', '', '', false, true, now())""",
        ),
        (
            "data keys",
            f"""INSERT INTO marac_datakey (id, uuid, case_uuid, kek_id, wrapped, created_at)
            SELECT k, gen_random_uuid(), gen_random_uuid(), 'bench', {b}, now() FROM generate_series(1, {referrals + meetings}) k""",
        ),
        (
            "meetings",
            f"""INSERT INTO meetings_meeting (id, starts_at, online, status, area_id, chair_id, coordinator_id, venue,
                observers, uuid, row_version, data_key_id)
            SELECT m, (current_date - 3654 + ((m - 1) / {AREAS}) * 14 + (1 + (m - 1) % {AREAS}) % 14)
                       + time '10:00', false, 'closed', 1 + (m - 1) % {AREAS}, 1, 1, {b}, {b},
                   gen_random_uuid(), 1, {referrals} + m
            FROM generate_series(1, {meetings}) m""",
        ),
        (
            "cases",
            f"""INSERT INTO referrals_case (id, uuid, reference, status, created_at, area_id, created_by_id, data_key_id,
                referring_agency_id)
            SELECT r, gen_random_uuid(), 'BM-' || r, 'open', {submitted} + time '09:00', {area}, 1, r,
                   1 + r % 10
            FROM generate_series(1, {referrals}) r""",
        ),
        (
            "victims",
            f"""INSERT INTO referrals_victim (id, uuid, row_version, name, aliases, date_of_birth, alternative_dates_of_birth,
                address, phone, email, safe_address, safe_phone, safe_times, do_not_contact_via, case_id, disabled,
                ethnic_group, gender, lgbt, needs_interpreter, age_band, language)
            SELECT r, gen_random_uuid(), 1, {b}, {b}, {b}, {b}, {b}, {b}, {b}, {b}, {b}, {b}, {b}, r,
                   CASE WHEN r % 10 = 0 THEN 'yes' ELSE 'no' END,
                   CASE WHEN r % 10 = 1 THEN 'asian' WHEN r % 10 = 2 THEN 'not_known' ELSE 'white' END,
                   CASE WHEN r % 20 = 0 THEN 'male' ELSE 'female' END,
                   CASE WHEN r % 50 = 0 THEN 'yes' ELSE 'no' END, false,
                   CASE WHEN r % 50 = 1 THEN '16_17' ELSE '18_plus' END, {b}
            FROM generate_series(1, {referrals}) r""",
        ),
        (
            "checklists",
            f"""INSERT INTO referrals_riskassessment (id, uuid, row_version, checklist_version, answers, score, override_band,
                override_rationale, status, assessed_on, assessed_by_id, case_id)
            SELECT r, gen_random_uuid(), 1, 'safelives-2015', {b}, 14, '', {b}, 'complete', {submitted}, 1, r
            FROM generate_series(1, {referrals}) r""",
        ),
        (
            "referrals",
            f"""INSERT INTO referrals_referral (id, uuid, row_version, criteria, consent, without_consent_reason, status,
                submitted_on, decided_at, decision_reason, case_id, decided_by_id, referred_by_id, referring_agency_id,
                assessment_id, repeat_current, repeat_ni32, victim_aware, victim_unaware_reason, feared_people,
                safe_to_talk_to, not_safe_to_talk_to, victim_views, first_contact_by_id, first_contact_on,
                first_contact_recorded_at)
            SELECT r, gen_random_uuid(), 1, '["visible_high_risk"]', 'given', {b},
                   CASE WHEN r % 10 = 0 THEN 'declined' ELSE 'accepted' END,
                   {submitted}, {submitted} + 1 + r % 4 + time '12:00', {b}, r, 1, 1, 1 + r % 10, r,
                   r % 100 < 32, r % 100 < 26, 'yes', {b}, {b}, {b}, {b}, {b},
                   CASE WHEN r % 7 = 0 THEN NULL ELSE 1 END,
                   CASE WHEN r % 7 = 0 THEN NULL ELSE {submitted} + r % 11 END,
                   CASE WHEN r % 7 = 0 THEN NULL ELSE now() END
            FROM generate_series(1, {referrals}) r""",
        ),
        (
            "agenda items",
            f"""INSERT INTO meetings_agendaitem (id, section, position, added_because, removed_because, removed_at,
                added_by_id, case_id, referral_id, removed_by_id, meeting_id)
            SELECT r, CASE WHEN r % 3 = 0 THEN 2 ELSE 1 END, 1 + r % 20,
                   CASE WHEN r % 33 = 0 THEN 'review' ELSE 'made_cutoff' END,
                   CASE WHEN r % 50 = 0 THEN 'deferred' ELSE '' END,
                   CASE WHEN r % 50 = 0 THEN {meeting_day} + time '10:00' ELSE NULL END,
                   1, r, r, CASE WHEN r % 50 = 0 THEN 1 ELSE NULL END, {m}
            FROM generate_series(1, {referrals}) r WHERE r % 10 <> 0""",
        ),
        (
            "actions",
            f"""INSERT INTO meetings_action (id, uuid, row_version, description, due_on, status, agency_id, case_id,
                created_by_id, meeting_id, owner_role, owner_user_id, owner)
            SELECT r, gen_random_uuid(), 1, {b}, {meeting_day} + 14 + r % 28,
                   CASE WHEN r % 10 BETWEEN 1 AND 6 THEN 'done' WHEN r % 10 = 7 THEN 'not_possible'
                        WHEN r % 10 = 8 THEN 'open' ELSE 'not_done' END,
                   1 + (r / 10) % 10, r, 1, {m}, 'duty_idva', NULL, {b}
            FROM generate_series(1, {referrals}) r WHERE r % 10 <> 0""",
        ),
        (
            "action updates",
            f"""INSERT INTO meetings_actionupdate (id, uuid, row_version, note, status, at, action_id, by_id, case_id)
            SELECT r, gen_random_uuid(), 1, {b}, 'done', {meeting_day} + 14 + r % 28 + (r / 10) % 5 - 3 + time '15:00', r, 1, r
            FROM generate_series(1, {referrals}) r WHERE r % 10 BETWEEN 1 AND 6""",
        ),
        (
            "children",
            f"""INSERT INTO referrals_householdmember (id, uuid, row_version, name, date_of_birth, school,
                relationship_to_victim, relationship_to_perpetrator, is_child, case_id, encompass_notified_at,
                encompass_notified_by)
            SELECT r, gen_random_uuid(), 1, {b}, {b}, {b}, {b}, {b}, r % 9 <> 0, r,
                   CASE WHEN r % 4 = 0 THEN now() ELSE NULL END, {b}
            FROM generate_series(1, {referrals}) r WHERE r % 3 <> 0""",
        ),
        (
            "perpetrators",
            f"""INSERT INTO referrals_perpetrator (id, uuid, row_version, name, aliases, date_of_birth, address,
                relationship_to_victim, aged_17_or_under, case_id)
            SELECT r, gen_random_uuid(), 1, {b}, {b}, {b}, {b}, 'ex_partner', r % 60 = 0, r
            FROM generate_series(1, {referrals}) r""",
        ),
    ]


TABLES = [
    "marac_maracarea",
    "marac_agency",
    "marac_user",
    "marac_datakey",
    "meetings_meeting",
    "referrals_case",
    "referrals_victim",
    "referrals_riskassessment",
    "referrals_referral",
    "meetings_agendaitem",
    "meetings_action",
    "meetings_actionupdate",
    "referrals_householdmember",
    "referrals_perpetrator",
]


def million_database() -> None:
    """The scratch database brought up to date, built first if it is not yet."""
    if connection.vendor != "postgresql" or not connection.settings_dict["NAME"].startswith(PREFIX):
        print(f"SKIPPED: needs DATABASE_URL naming a scratch PostgreSQL database whose name starts {PREFIX} (e.g. .../{PREFIX})")
        raise SystemExit(77)  # bench/_run_all.py lists it as skipped, not failed
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        if cursor.fetchone()[0] is not None:
            return
        begun = time.perf_counter()
        with transaction.atomic():  # all or nothing: a failed build leaves the database as it was
            cursor.execute("SET LOCAL session_replication_role = replica")
            for name, sql in _statements(REFERRALS):
                started = time.perf_counter()
                cursor.execute(sql)
                print(f"  built {name}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
            for table in TABLES:  # identity columns past the ids written, so later inserts do not collide
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"CREATE TABLE {MARKER} (referrals integer, built_at timestamptz)")
            cursor.execute(f"INSERT INTO {MARKER} VALUES (%s, now())", [REFERRALS])
        cursor.execute("VACUUM ANALYZE")
        print(f"(built {REFERRALS:,} referrals in {time.perf_counter() - begun:.0f} s)", flush=True)


def referrals_in_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT referrals FROM {MARKER}")
        return cursor.fetchone()[0]


def plans(function) -> list[tuple[str, str]]:
    """Every query `function` makes, with PostgreSQL's plan for it as it ran (EXPLAIN ANALYZE)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    shown = []
    with transaction.atomic(), connection.cursor() as cursor:  # a SET LOCAL among them holds for the rest, as it did
        for query in captured.captured_queries:
            if query["sql"] in ("BEGIN", "COMMIT"):  # the function's own transaction: this one stands for it
                continue
            if not query["sql"].startswith("SELECT"):
                cursor.execute(query["sql"])
                shown.append((query["sql"], "(not a query: run as it was)"))
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query["sql"])
            shown.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
    return shown


def print_plans(title: str, function) -> None:
    print(f"\n--- Query plans: {title}")
    for n, (sql, plan) in enumerate(plans(function), 1):
        print(f"[{n}] {sql[:300]}{' ...' if len(sql) > 300 else ''}")
        print("    " + plan.replace("\n", "\n    "))
