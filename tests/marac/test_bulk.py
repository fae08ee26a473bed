"""The one bulk path (marac.bulk, ADR 0031): on PostgreSQL, ids from the sequence and COPY; on
SQLite, bulk_create. Either way every value is encrypted as a save encrypts it, every encrypted
row has its chain entry, children point at their parents, and a load that fails leaves nothing."""

import uuid
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext, isolate_apps

from audit.chain import verify
from audit.models import AccessEvent
from audit.rows import Kind
from marac.bulk import BulkLoadRefused, chain_entries_at_end, rows_insert
from marac.security import crypto
from marac.security.datakeys import data_keys_new
from marac.security.models import DataKey
from marac.security.row_versions import rows_verify
from referrals.checklists import CURRENT
from referrals.models import Case, HouseholdMember, Referral, RiskAssessment, Victim

PURPOSE = "bulk test"


def new_cases(area, agency, by, count: int) -> list[Case]:
    uuids = [uuid.uuid4() for _ in range(count)]
    keys = rows_insert(data_keys_new(case_uuids=uuids), by=by, purpose=PURPOSE)
    return rows_insert(
        [
            Case(uuid=u, reference=f"BULK-{n}", area=area, referring_agency=agency, data_key=key, created_by=by)
            for n, (u, key) in enumerate(zip(uuids, keys, strict=True))
        ],
        by=by,
        purpose=PURPOSE,
    )


def victims_for(cases: list[Case]) -> list[Victim]:
    return [
        Victim(case=case, name=f"Bulk person {n}", date_of_birth=date(1990, 1, n + 1), safe_address=f"{n} Refuge Road")
        for n, case in enumerate(cases)
    ]


def read_back(model, pk):
    """A fresh read, through the ordinary path: nothing cached from the write."""
    return model.objects.select_related("case__data_key").get(pk=pk)


# --- the happy path ---------------------------------------------------------------------------


def test_it_writes_rows_that_decrypt_with_their_children_linked(area, idva, referrer):
    cases = new_cases(area, idva, referrer, 5)
    victims = rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
    children = rows_insert([HouseholdMember(case=case, name="Child", is_child=True) for case in cases], by=referrer, purpose=PURPOSE)

    assert all(row.pk for row in [*cases, *victims, *children])
    for n, (case, victim, child) in enumerate(zip(cases, victims, children, strict=True)):
        stored = read_back(Victim, victim.pk)
        assert stored.case_id == case.pk and stored.case.data_key.case_uuid == case.uuid
        assert (stored.name, stored.date_of_birth, stored.safe_address, stored.phone) == (
            f"Bulk person {n}",
            date(1990, 1, n + 1),
            f"{n} Refuge Road",
            "",
        )
        assert stored.row_version == 1  # as a first save leaves it
        assert read_back(HouseholdMember, child.pk).case_id == case.pk
    raw = bytes(Victim.objects.values_list("safe_address", flat=True).get(pk=victims[0].pk))
    assert b"Refuge" not in raw and raw[:1] == crypto.FORMAT_V1


def test_every_row_it_wrote_is_in_the_chain_and_verifies(area, idva, referrer):
    cases = new_cases(area, idva, referrer, 4)
    victims = rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE, batch_size=3)

    entries = AccessEvent.objects.filter(row_model="referrals.victim", row_id__in=[v.pk for v in victims])
    assert sorted(entries.values_list("row_id", "row_version", "user_id", "case_reference")) == sorted(
        (v.pk, 1, referrer.pk, c.reference) for v, c in zip(victims, cases, strict=True)
    )
    report = rows_verify()
    assert report.failed == 0 and report.counts[Kind.NOT_RECORDED] == 0 and report.checked >= 4
    assert verify().intact
    out = StringIO()
    call_command("verify_rows", stdout=out)  # exits 1 on any row put back, changed or missing
    assert "0 went back" in out.getvalue()


def test_a_row_it_wrote_is_an_ordinary_row_afterwards(area, idva, referrer):
    (case,) = new_cases(area, idva, referrer, 1)
    (victim,) = rows_insert(victims_for([case]), by=referrer, purpose=PURPOSE)
    stored = read_back(Victim, victim.pk)
    stored.phone = "07700 900001"
    stored.save()
    again = read_back(Victim, victim.pk)
    assert (again.row_version, again.phone, again.name) == (2, "07700 900001", "Bulk person 0")
    assert rows_verify().failed == 0


def test_it_tells_progress_after_each_batch(area, idva, referrer):
    told: list[int] = []
    cases = new_cases(area, idva, referrer, 5)
    rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE, progress=told.append, batch_size=2)
    assert told == [2, 2, 1]


def test_rows_without_victim_data_are_written_without_chain_entries(area, idva, referrer):
    before = AccessEvent.objects.count()
    keys = rows_insert(data_keys_new(case_uuids=[uuid.uuid4(), uuid.uuid4()]), by=referrer, purpose=PURPOSE)
    assert DataKey.objects.filter(pk__in=[k.pk for k in keys]).count() == 2
    assert AccessEvent.objects.count() == before
    assert rows_insert([], by=referrer, purpose=PURPOSE) == []


def test_a_batch_read_from_the_random_source_at_once_still_gives_each_value_its_own_nonce_and_key(area, idva, referrer):
    """Nonces, data keys and uuids are drawn a batch at a time: every one must still differ."""
    cases = new_cases(area, idva, referrer, 6)
    rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
    stored = [bytes(value) for row in Victim.objects.values_list("name", "date_of_birth", "safe_address", "phone") for value in row]
    nonces = [value[1 : 1 + crypto.NONCE_BYTES] for value in stored]
    assert len(stored) == 24 and len(set(nonces)) == 24
    plain_keys = [key.__dict__["_marac_dek"][2] for key in data_keys_new(case_uuids=[uuid.uuid4() for _ in range(6)])]
    assert len(set(plain_keys)) == 6 and all(len(key) == crypto.KEY_BYTES for key in plain_keys)
    fresh = crypto.random_uuids(50)
    assert len(set(fresh)) == 50 and all(u.version == 4 and u.variant == uuid.RFC_4122 for u in fresh)


def test_rows_encrypted_together_each_decrypt_under_their_own_key_with_nonces_never_shared():
    keys = [bytes([n]) * crypto.KEY_BYTES for n in range(3)]
    rows = [(key, [(f"V{n}-{m}".encode(), f"ad{n}".encode()) for m in range(n + 1)]) for n, key in enumerate(keys)]
    sealed = crypto.encrypt_rows(rows)
    assert [[crypto.decrypt(key, value, f"ad{n}".encode()) for value in sealed[n]] for n, key in enumerate(keys)] == [
        [plain for plain, _ in values] for _, values in rows
    ]
    nonces = [value[1 : 1 + crypto.NONCE_BYTES] for row in sealed for value in row]
    assert len(nonces) == 6 and len(set(nonces)) == 6
    with pytest.raises(crypto.IntegrityFailure):
        crypto.decrypt(keys[1], sealed[0][0], b"ad0")  # under its own row's key only


# --- the same guarantees as a save --------------------------------------------------------------


def test_a_value_it_wrote_is_bound_to_its_row(area, idva, referrer):
    """Copied into another row, a bulk-written value fails to load, as any saved value does."""
    cases = new_cases(area, idva, referrer, 2)
    first, second = rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
    stolen = Victim.objects.values_list("safe_address", flat=True).get(pk=first.pk)
    Victim.objects.filter(pk=second.pk).update(safe_address=stolen)
    with pytest.raises(crypto.IntegrityFailure):
        _ = read_back(Victim, second.pk).safe_address


def test_each_new_data_key_unwraps_to_the_key_it_encrypted_with(area, idva, referrer):
    from marac.security.datakeys import data_key_bytes

    (key,) = data_keys_new(case_uuids=[uuid.uuid4()])
    in_memory = key.__dict__["_marac_dek"][2]
    (written,) = rows_insert([key], by=referrer, purpose=PURPOSE)
    assert data_key_bytes(DataKey.objects.get(pk=written.pk)) == in_memory


# --- a load that fails leaves nothing ----------------------------------------------------------


def test_a_bad_value_in_a_later_batch_leaves_no_row_and_no_chain_entry(area, idva, referrer):
    cases = new_cases(area, idva, referrer, 5)
    victims = victims_for(cases)
    victims[4].name = 12345  # not text: refused when it is encrypted, in the third batch
    entries = AccessEvent.objects.count()
    with pytest.raises(TypeError, match="needs text"):
        rows_insert(victims, by=referrer, purpose=PURPOSE, batch_size=2)
    assert not Victim.objects.exists() and AccessEvent.objects.count() == entries


def test_a_database_refusal_mid_load_leaves_no_half_case(area, idva, referrer):
    """The caller's transaction holds the whole load: the cases written before the failure go too."""
    with pytest.raises(IntegrityError), transaction.atomic():  # Django's own, on either database
        cases = new_cases(area, idva, referrer, 3)
        victims = victims_for(cases)
        victims[2].uuid = victims[0].uuid  # a duplicate of a unique column, in the second batch
        rows_insert(victims, by=referrer, purpose=PURPOSE, batch_size=2)
    assert not Case.objects.filter(reference__startswith="BULK-").exists() and not Victim.objects.exists()


# --- refused rather than written wrong ---------------------------------------------------------


def test_it_refuses_rows_already_saved(case_a, referrer):
    with pytest.raises(BulkLoadRefused, match="new rows only"):
        rows_insert([case_a.victim], by=referrer, purpose=PURPOSE)


def test_it_refuses_rows_of_two_models_at_once(area, idva, referrer):
    (case,) = new_cases(area, idva, referrer, 1)
    with pytest.raises(BulkLoadRefused, match="one model"):
        rows_insert([*victims_for([case]), HouseholdMember(case=case, name="Child")], by=referrer, purpose=PURPOSE)
    assert not Victim.objects.exists()


@isolate_apps("tests")
def test_it_refuses_a_model_whose_ids_are_not_generated(db, referrer):
    class Coded(models.Model):  # noqa: DJ008  # a throwaway model, never shown
        code = models.CharField(max_length=10, primary_key=True)

        class Meta:
            app_label = "tests"

    with pytest.raises(BulkLoadRefused, match="no generated id"):
        rows_insert([Coded(code="A")], by=referrer, purpose=PURPOSE)


@isolate_apps("tests")
def test_it_refuses_a_field_of_a_kind_it_does_not_write(db, referrer):
    class WithFile(models.Model):  # noqa: DJ008  # a throwaway model, never shown
        attachment = models.FileField()

        class Meta:
            app_label = "tests"

    with pytest.raises(BulkLoadRefused, match="attachment is a FileField"):
        rows_insert([WithFile(attachment="a.pdf")], by=referrer, purpose=PURPOSE)


@isolate_apps("tests")
def test_it_refuses_a_field_the_database_fills_in(db, referrer):
    from django.db.models.functions import Now

    class Stamped(models.Model):  # noqa: DJ008  # a throwaway model, never shown
        at = models.DateTimeField(db_default=Now())

        class Meta:
            app_label = "tests"

    with pytest.raises(BulkLoadRefused, match="at takes its value from the database"):
        rows_insert([Stamped()], by=referrer, purpose=PURPOSE)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="sequences are PostgreSQL's")
@isolate_apps("tests")
def test_on_postgresql_it_refuses_a_table_without_a_sequence(db, referrer):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_no_sequence (id integer PRIMARY KEY, name text NOT NULL)")

    class Unsequenced(models.Model):  # noqa: DJ008  # a throwaway model, never shown
        name = models.TextField()

        class Meta:
            app_label = "tests"
            db_table = "bulk_no_sequence"
            managed = False

    with pytest.raises(BulkLoadRefused, match="no sequence"):
        rows_insert([Unsequenced(name="x")], by=referrer, purpose=PURPOSE)


# --- found in review: as a save, or refused ----------------------------------------------------


def test_a_parent_written_after_its_child_was_built_is_linked_not_dropped(area, idva, referrer):
    """A child built while its parent had no id (as save() and bulk_create allow, fixing the id up
    once the parent has one) points at the parent: never at nothing through a nullable link."""
    (case,) = new_cases(area, idva, referrer, 1)
    assessment = RiskAssessment(
        case=case, checklist_version=CURRENT.version, answers={}, score=14, assessed_by=referrer, assessed_on=date(2026, 1, 5)
    )
    referral = Referral(case=case, assessment=assessment, referring_agency=idva, referred_by=referrer, consent=Referral.Consent.GIVEN)
    rows_insert([assessment], by=referrer, purpose=PURPOSE)
    (written,) = rows_insert([referral], by=referrer, purpose=PURPOSE)
    assert Referral.objects.values_list("assessment_id", flat=True).get(pk=written.pk) == assessment.pk


def test_a_child_whose_parent_was_never_written_is_refused(area, idva, referrer):
    (case,) = new_cases(area, idva, referrer, 1)
    unsaved = RiskAssessment(
        case=case, checklist_version=CURRENT.version, answers={}, score=14, assessed_by=referrer, assessed_on=date(2026, 1, 5)
    )
    referral = Referral(case=case, assessment=unsaved, referring_agency=idva, referred_by=referrer, consent=Referral.Consent.GIVEN)
    with pytest.raises(ValueError, match="unsaved related object"):
        rows_insert([referral], by=referrer, purpose=PURPOSE)
    assert not Referral.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not hold text to a column's length")
def test_a_database_refusal_is_djangos_error_and_names_no_value(area, idva, referrer):
    """The importer and every caller catch django.db's errors; and the database's own text for a
    COPY quotes the offending value, which may be victim data, so it must not reach the message."""
    cases = new_cases(area, idva, referrer, 2)
    secret = "Safe-House-7-Refuge-Lane" * 20  # longer than the column: the database refuses it
    victims = victims_for(cases)
    victims[1].gender = secret
    with pytest.raises(DatabaseError) as refused:
        rows_insert(victims, by=referrer, purpose=PURPOSE)
    assert "Safe-House" not in str(refused.value) and "referrals.Victim" in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__context__ is None  # no chained text either
    assert not Victim.objects.exists()


# --- chain entries at the end of a load (ADR 0032) ----------------------------------------------


def chain_lock_held_here() -> bool:
    from audit.chain import CHAIN_LOCK_ID

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            [CHAIN_LOCK_ID],
        )
        return cursor.fetchone()[0] > 0


def test_entries_held_to_the_end_of_a_load_are_written_then_and_verify(area, idva, referrer):
    with transaction.atomic(), chain_entries_at_end():
        cases = new_cases(area, idva, referrer, 3)
        rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
        assert not AccessEvent.objects.exists()  # held, not yet written
        if connection.vendor == "postgresql":
            assert not chain_lock_held_here()  # other writers are not kept waiting by the load
    assert AccessEvent.objects.filter(row_model="referrals.victim").count() == 3
    if connection.vendor == "postgresql":
        assert chain_lock_held_here()  # taken by the append at the end, to the test's transaction's end
    report = rows_verify()
    assert report.failed == 0 and sum(report.counts.values()) == 0 and verify().intact


def test_a_load_that_fails_inside_the_block_writes_no_held_entry(area, idva, referrer):
    with pytest.raises(IntegrityError), transaction.atomic(), chain_entries_at_end():
        cases = new_cases(area, idva, referrer, 2)
        rows_insert(
            [Case(reference="BULK-0", area=area, referring_agency=idva, data_key=cases[0].data_key, created_by=referrer)],
            by=referrer,
            purpose=PURPOSE,
        )
    assert not AccessEvent.objects.exists() and not Case.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the chain's lock and deferred foreign keys at the commit are PostgreSQL's")
def test_a_load_with_a_foreign_key_to_nothing_fails_before_the_chain_lock_is_taken(area, idva, referrer):
    """Deferred foreign keys are checked at the block's end, before the append: at the commit,
    after it, every other load waited on the lock while they were checked."""
    with pytest.raises(IntegrityError), transaction.atomic(), chain_entries_at_end():
        cases = new_cases(area, idva, referrer, 2)
        rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
        (key,) = rows_insert(data_keys_new(case_uuids=[uuid.uuid4()]), by=referrer, purpose=PURPOSE)
        rows_insert(
            [Case(uuid=key.case_uuid, reference="BULK-X", area=area, referring_agency=idva, data_key=key, created_by_id=10**9)],
            by=referrer,
            purpose=PURPOSE,
        )
    assert not chain_lock_held_here() and not AccessEvent.objects.exists() and not Victim.objects.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's check of every table")
def test_on_sqlite_a_load_does_not_check_every_foreign_key_in_the_database(area, idva, referrer):
    """Django's check_constraints() there reads every table: an import into a large embedded
    database would pay for all of it, and fail for a fault in any other table."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), chain_entries_at_end():
        rows_insert(victims_for(new_cases(area, idva, referrer, 2)), by=referrer, purpose=PURPOSE)
    assert AccessEvent.objects.filter(row_model="referrals.victim").count() == 2
    assert not [query for query in queries.captured_queries if "foreign_key_check" in query["sql"]]


def test_a_refused_call_inside_the_block_leaves_no_held_entry_for_its_rows(area, idva, referrer):
    """A caller that catches a failed call and goes on: the batches that call wrote went with its
    savepoint, and so do their entries; the calls that succeeded keep theirs."""
    with transaction.atomic(), chain_entries_at_end():
        cases = new_cases(area, idva, referrer, 3)
        victims = victims_for(cases)
        victims[2].uuid = victims[0].uuid  # a duplicate of a unique column, in the second batch
        with pytest.raises(IntegrityError), transaction.atomic():
            rows_insert(victims, by=referrer, purpose=PURPOSE, batch_size=2)
        kept = rows_insert([HouseholdMember(case=cases[0], name="Child", is_child=True)], by=referrer, purpose=PURPOSE)
    assert not Victim.objects.exists() and not AccessEvent.objects.filter(row_model="referrals.victim").exists()
    assert list(AccessEvent.objects.filter(row_model="referrals.householdmember").values_list("row_id", flat=True)) == [kept[0].pk]
    report = rows_verify()
    assert report.failed == 0 and sum(report.counts.values()) == 0


# --- values handed on as they are ----------------------------------------------------------------


def test_values_django_would_convert_are_converted_and_the_rest_written_as_they_are(area, idva, referrer):
    cases = new_cases(area, idva, referrer, 1)
    (child,) = rows_insert([HouseholdMember(case=cases[0], name="Child", is_child=1)], by=referrer, purpose=PURPOSE)
    assert HouseholdMember.objects.values_list("is_child", flat=True).get(pk=child.pk) is True
    assert Case.objects.values_list("reference", "area_id").get(pk=cases[0].pk) == ("BULK-0", area.pk)


def test_a_load_that_rolled_back_an_earlier_calls_rows_inside_the_block_records_nothing(area, idva, referrer):
    """A caller catching an error from its own savepoint: the victims it wrote before are gone,
    so an entry for them would be a false alarm in verify_rows for ever. The load fails."""
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic(), chain_entries_at_end():
        cases = new_cases(area, idva, referrer, 2)
        try:
            with transaction.atomic():
                rows_insert(victims_for(cases), by=referrer, purpose=PURPOSE)
                raise IntegrityError("as a later call of the caller's would")
        except IntegrityError:
            pass
    assert not AccessEvent.objects.exists() and not Victim.objects.exists()


def test_an_error_leaving_the_block_takes_its_rows_with_it_even_when_caught_outside(area, idva, referrer):
    with transaction.atomic():
        try:
            with chain_entries_at_end():
                rows_insert(victims_for(new_cases(area, idva, referrer, 2)), by=referrer, purpose=PURPOSE)
                raise ValueError("a load that stops half way")
        except ValueError:
            pass
    assert not Victim.objects.exists() and not Case.objects.exists() and not AccessEvent.objects.exists()


@isolate_apps("tests")
def test_a_field_that_converts_values_its_own_way_is_written_through_its_own_conversion(db):
    from marac.bulk import _value_of

    class Shouting(models.CharField):
        def get_prep_value(self, value):
            return str(value).upper()

    class Note(models.Model):  # noqa: DJ008  # a throwaway model, never shown
        text = Shouting(max_length=10)
        plain = models.CharField(max_length=10)

        class Meta:
            app_label = "tests"

    note = Note(text="quiet", plain="as is")
    assert _value_of(Note._meta.get_field("text"), connection)(note) == "QUIET"
    assert _value_of(Note._meta.get_field("plain"), connection)(note) == "as is"
