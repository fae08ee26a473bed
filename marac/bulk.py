"""One fast path for writing new rows in bulk: the case importer and `seed_scale` (issue 19,
ADR 0031).

Rows holding victim data are encrypted as every save encrypts them (under their case's data key,
bound to their row and version) and each gets its entry in the audit chain (ADR 0023); no history
rows, no signals and no per-row access events are written, so callers record one access event for
the whole load. On PostgreSQL each batch takes its ids from the table's sequence in one statement
and is written with COPY; elsewhere with bulk_create. Either way the columns and their values are
Django's own (each concrete field's pre_save and get_db_prep_save), so any model whose fields are
of the kinds below loads the same way, and any other is refused before anything is written.
"""

import gc
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.models.fields import AutoFieldMixin

from marac.security.fields import EncryptedModel, encrypt_new_rows_for_write
from marac.security.row_versions import rows_written

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

BATCH = 2000  # rows per COPY (or bulk_create) and per call of `progress`
Row = TypeVar("Row", bound=models.Model)

# Field kinds (get_internal_type) whose prepared values psycopg writes through COPY exactly as an
# INSERT stores them. Encrypted fields are BinaryFields. Anything else (arrays, ranges, a custom
# type) is refused rather than guessed at: a value written wrong is worse than a load refused.
COPYABLE = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "BinaryField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "DurationField",
        "FloatField",
        "ForeignKey",
        "GenericIPAddressField",
        "IntegerField",
        "JSONField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "TimeField",
        "UUIDField",
    }
)


# Values that a field of these kinds hands to the database unchanged (its get_db_prep_save is
# the identity on them, on PostgreSQL): written as they are, skipping Django's chain of calls,
# which cost a quarter of a load. Any other value, and every other kind, goes through Django's own
# steps. Exact types for numbers: a bool in an integer column becomes 1 or 0 through Django.
PASSED_AS_IS = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "PositiveBigIntegerField": int,
    "BooleanField": bool,
    "BinaryField": bytes,  # ciphertexts among them: psycopg writes bytes as bytea either way
    "AutoField": int,  # the ids this path took from the sequence
    "BigAutoField": int,
    "SmallAutoField": int,
    "UUIDField": uuid.UUID,  # PostgreSQL's own uuid type: Django hands a UUID on as it is
}
INTEGER_IDS = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"})


class BulkLoadRefused(ValueError):
    """Rows this path cannot write exactly as a save would: nothing was written. Names the model
    and field, never a value."""


def rows_insert(
    rows: Sequence[Row],
    *,
    by: "_User | None",
    purpose: str,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> list[Row]:
    """Insert new rows of one model, in batches, and return them with their ids. Encrypted rows
    are encrypted first and recorded in the audit chain. `progress(n)` is told after each batch.
    All or nothing: inside the caller's transaction when there is one (a load's cases are written
    whole or not at all), in one of its own otherwise."""
    if not rows:
        return []
    model = type(rows[0])
    fields = copyable_fields(model)
    _refuse_unless_new_rows_of(model, rows)
    encrypted = issubclass(model, EncryptedModel)
    held = _held_entries.get()
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            batch = list(rows[start : start + batch_size])
            if encrypted:
                encrypt_new_rows_for_write(batch)  # type: ignore[arg-type]
            try:
                _write(model, fields, batch)
                if encrypted and held is None:
                    rows_written(batch, by=by, purpose=purpose)  # type: ignore[arg-type]
            finally:
                for row in batch:
                    row.__dict__.pop("_marac_pending", None)  # as save() leaves it
            if progress is not None:
                progress(len(batch))
    if encrypted and held is not None:  # once every batch is written: none of a call that failed
        held.append((list(rows), by, purpose))
    return list(rows)


@contextmanager
def collecting_less() -> Iterator[None]:
    """Python's cycle collector run less often while a load builds and writes its rows: with
    hundreds of thousands of new objects alive it walked them all again and again, a fifth of a
    load's time (measured on seed_scale). Its settings are put back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*before)


# The chain entries of a load inside chain_entries_at_end: (rows, by, purpose), in write order.
_held_entries: ContextVar[list | None] = ContextVar("marac_bulk_held_entries", default=None)


@contextmanager
def chain_entries_at_end() -> Iterator[None]:
    """The chain entries of every rows_insert inside the block are appended when it ends, still
    inside the caller's transaction, rather than after each batch. An append takes the chain's
    lock until the transaction ends (ADR 0013), so an import or a load otherwise held up every
    other writer from its first batch to its commit; appended last, it holds the lock for the
    append and the commit only, and loads in parallel processes overlap (ADR 0032).

    On PostgreSQL the transaction's deferred foreign keys are checked before that append (Django's
    check_constraints, which sets them deferred again after): every link written so far in the
    transaction, before the block too, must then point at a row already written."""
    if not connection.in_atomic_block:
        raise RuntimeError("chain_entries_at_end needs the load's transaction: its rows and their entries commit together")
    held: list = []
    token = _held_entries.set(held)
    try:
        # A savepoint of its own: an error leaving the block takes its rows with it, so no row
        # is ever committed without its entry.
        with transaction.atomic():
            yield
            for rows, _, _ in held:
                _refuse_rows_rolled_back(rows)
            # The foreign keys, deferred to the commit on PostgreSQL, checked now, before the
            # chain's lock: checked at the commit, a load's hundred thousand of them held every
            # other load's append waiting (ADR 0032). Not on SQLite: one writer at a time, and
            # Django's check there reads every table in the database.
            if held and connection.vendor == "postgresql":
                connection.check_constraints()
            for rows, by, purpose in held:
                rows_written(rows, by=by, purpose=purpose)
    finally:
        _held_entries.reset(token)


def _refuse_rows_rolled_back(rows: list) -> None:
    """An error caught inside the block may have rolled back rows an earlier call wrote: an entry
    for a row that is not there would be a false alarm in verify_rows for ever, so the load fails."""
    model = type(rows[0])
    ids = sorted({row.pk for row in rows})
    if _rows_found(model, ids) != len(ids):
        raise RuntimeError(
            f"rows of {model._meta.label} written inside chain_entries_at_end were rolled back inside it; nothing is recorded"
        )


def _rows_found(model: type[models.Model], ids: list[int]) -> int:
    if connection.vendor != "postgresql":
        return sum(model._default_manager.filter(pk__in=ids[at : at + 5000]).count() for at in range(0, len(ids), 5000))
    # One array parameter: Django's IN builds a parameter for each id, a twentieth of a load.
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # The table and column names are the model's own, quoted; the ids are one parameter.
        cursor.execute(
            f"SELECT count(*) FROM {quote(model._meta.db_table)} WHERE {quote(_pk(model).column)} = ANY(%s)",  # noqa: S608  # nosec B608
            [ids],
        )
        (found,) = cursor.fetchone()
    return found


def copyable_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's columns, in order, once checked that each can be written by this path."""
    if model._meta.parents:
        raise BulkLoadRefused(f"{model._meta.label} inherits another table's rows; bulk loads write one table.")
    if not isinstance(_pk(model), AutoFieldMixin):
        raise BulkLoadRefused(f"{model._meta.label} has no generated id; bulk loads take ids from the table's sequence.")
    fields = list(model._meta.concrete_fields)
    for field in fields:
        if field.get_internal_type() not in COPYABLE:
            raise BulkLoadRefused(f"{model._meta.label}.{field.name} is a {field.get_internal_type()}, which bulk loads do not write.")
        if field.has_db_default():  # type: ignore[attr-defined]  # Django 5's; the stubs lag  # computed by the database on INSERT; COPY would need the value
            raise BulkLoadRefused(f"{model._meta.label}.{field.name} takes its value from the database, which bulk loads do not write.")
    return fields


def _refuse_unless_new_rows_of(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    # Each link's cache name, column attribute and the parent's attribute it holds, read once.
    links = [(f.cache_name, f.attname, f.target_field.attname) for f in model._meta.concrete_fields if f.is_relation]  # type: ignore[attr-defined]
    for row in rows:
        if type(row) is not model:
            raise BulkLoadRefused(f"a bulk load writes rows of one model: {type(row).__name__} among {model.__name__}")
        if row.pk is not None or not row._state.adding:
            raise BulkLoadRefused(f"a bulk load writes new rows only: a {model.__name__} already has an id")
        _link_written_parents(row, links)


def _link_written_parents(row: models.Model, links: list[tuple[str, str, str]]) -> None:
    """As save() and bulk_create do: a parent written since the child was built gives the child its
    id, and one never written is refused (ValueError, naming the field). COPY would otherwise write
    the link as NULL. Django's own check runs only for a row that needs it: run for every row it
    would cost a bulk load of millions of rows minutes."""
    cached = row._state.fields_cache
    for name, attname, target in links:
        parent = cached.get(name)
        if parent is not None and (parent.pk is None or getattr(parent, target) != getattr(row, attname)):
            row._prepare_related_fields_for_save(operation_name="rows_insert")  # type: ignore[attr-defined]  # bulk_create's own; the stubs lack it
            return


def _write(model: type[models.Model], fields: list[models.Field], batch: Sequence[models.Model]) -> None:
    if connection.vendor == "postgresql":
        _copy(model, fields, batch)
    else:
        model._default_manager.bulk_create(batch)


def _copy(model: type[models.Model], fields: list[models.Field], batch: Sequence[models.Model]) -> None:
    """Ids from the sequence, then one COPY with them: the rows' ids are known before the write,
    which the chain entries and the children's foreign keys need."""
    pk = _pk(model)
    for row, new_id in zip(batch, _next_ids(model, len(batch)), strict=True):
        setattr(row, pk.attname, new_id)
    # The connection itself, not django.db.connection's per-thread proxy, which cost a lookup for
    # every value of every row.
    database = connections[DEFAULT_DB_ALIAS]
    quote = database.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    # The table and column names are the model's own, quoted; the values go as COPY data.
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    values = [_value_of(field, database) for field in fields]
    refused = None
    try:
        # Django's own error classes (IntegrityError, DataError), as an INSERT raises them, so
        # callers catch them as they would any write's.
        with database.wrap_database_errors, database.cursor() as cursor, cursor.copy(statement) as copy:
            for row in batch:
                copy.write_row([value(row) for value in values])
    except DatabaseError as error:
        refused = error
    if refused is not None:
        # Raised outside the handler, so neither the message nor the chained causes carry the
        # database's text: for COPY it quotes the offending line and value, which may be victim data.
        raise type(refused)(_refusal_without_values(model, refused))
    for row in batch:
        row._state.adding, row._state.db = False, database.alias


def _value_of(field: models.Field, database) -> Callable[[models.Model], object]:
    """The column's value for a row, as an INSERT would write it: the field's pre_save, then its
    get_db_prep_save unless that would hand the value on unchanged."""
    kind = field.get_internal_type()
    converts_as_django_does = _converts_as(field, getattr(models, kind, None))
    if kind in ("ForeignKey", "OneToOneField") and field.target_field.get_internal_type() in INTEGER_IDS:  # type: ignore[attr-defined]
        kind = "IntegerField"
    passed = PASSED_AS_IS.get(kind)
    pre_save, prepare = field.pre_save, field.get_db_prep_save
    if passed is None or not converts_as_django_does:
        return lambda row: prepare(pre_save(row, True), database)
    attname, exact = field.attname, passed not in (str, bytes)  # a ciphertext is a bytes of its own kind
    own_pre_save = type(field).pre_save is not models.Field.pre_save  # the base one reads the attribute

    def value(row: models.Model) -> object:
        found = pre_save(row, True) if own_pre_save else row.__dict__[attname]
        if found is None or (type(found) is passed if exact else isinstance(found, passed)):
            return found
        return prepare(found, database)

    return value


def _converts_as(field: models.Field, django_class: type | None) -> bool:
    """Whether the field turns a value into its column's as Django's own class of its kind does:
    a subclass converting values its own way (other than by pre_save, which is always called)
    never takes the shortcut."""
    if django_class is None:
        return False
    steps = ["get_prep_value", "get_db_prep_value", "get_db_prep_save"]
    if django_class is not models.BinaryField:  # the others' get_prep_value calls to_python
        steps.append("to_python")
    return all(getattr(type(field), step) is getattr(django_class, step) for step in steps)


def _refusal_without_values(model: type[models.Model], error: DatabaseError) -> str:
    """What the database refused and where (code, column, constraint): never a value."""
    diag = getattr(error.__cause__, "diag", None)
    where = [
        f"{label} {name}"
        for label, name in (("column", getattr(diag, "column_name", None)), ("constraint", getattr(diag, "constraint_name", None)))
        if name
    ]
    code = getattr(diag, "sqlstate", None) or "unknown"
    return f"the database refused a row of {model._meta.label} (SQLSTATE {code}{', ' if where else ''}{', '.join(where)})"


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    pk = _pk(model)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(model._meta.db_table), pk.column])
        (sequence,) = cursor.fetchone()
        if sequence is None:
            raise BulkLoadRefused(f"{model._meta.label} has no sequence for its ids; bulk loads take ids from it.")
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return sorted(new_id for (new_id,) in cursor.fetchall())


def _pk(model: type[models.Model]) -> models.Field:
    if model._meta.pk is None:  # only an abstract model has none
        raise BulkLoadRefused(f"{model._meta.label} has no table of its own.")
    return model._meta.pk
