"""Encrypted model fields, declared like ordinary fields:

    class Victim(EncryptedModel):
        ENCRYPTION_CASE_PATH = "case"          # where the case (and its data key) is
        name = EncryptedTextField()
        date_of_birth = EncryptedDateField()

Each value is AES-256-GCM under the case's data key, with associated data binding it to the
model, the field, the row's logical id (`uuid`, which history rows share), the row's version and
the data key's id. So a value copied to another row or field, replayed from an older version,
tampered with, or replaced by plaintext fails to load with IntegrityFailure. Values are
decrypted only when an attribute is read, and a row whose values fail to load refuses to save.

Every value is encrypted, None included, so the column is never NULL and a value cannot be
silently blanked. Encrypted fields cannot be searched: use a blind index (blind_index.py).
"""

import base64
import datetime
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, Protocol
from uuid import UUID

from django import forms
from django.db import models, transaction

from marac.security import crypto, row_versions
from marac.security.datakeys import data_key_bytes
from marac.security.models import DataKey

logger = logging.getLogger("marac.security")

PLAIN_CACHE = "_marac_plaintexts"
NONE_MARKER = b"N"
VALUE_MARKER = b"V"


class Ciphertext(bytes):
    """A stored value as loaded from the database, not yet decrypted."""


class EncryptedRow(Protocol):
    """A live row of an EncryptedModel or one of its history rows. simple-history copies the
    fields into another class, not EncryptedModel itself, so both are known by what they carry:
    the logical id and the version that a value's associated data binds it to."""

    @property
    def uuid(self) -> UUID: ...

    @property
    def row_version(self) -> int: ...

    def refresh_from_db(self, using: str | None = None, fields: Iterable[str] | None = None) -> None: ...


def logical_model(instance: EncryptedRow) -> type["EncryptedModel"]:
    """The live model for a live row or one of its history rows (simple-history's instance_type)."""
    model: type = getattr(type(instance), "instance_type", type(instance))
    if not issubclass(model, EncryptedModel):
        raise TypeError(f"{model.__name__} is not an encrypted model or the history of one")
    return model


def case_of(instance: EncryptedRow) -> Any:
    """The object holding the row's data key: a case, from the referrals app, which the security
    core does not import (hence Any)."""
    path = logical_model(instance).ENCRYPTION_CASE_PATH
    return getattr(instance, path) if path else instance


def data_key_of(instance: EncryptedRow) -> DataKey:
    case = case_of(instance)
    key: DataKey = case.data_key
    if key.case_uuid != case.uuid:
        # A data key moved under another case (database write access) is refused, not used.
        raise crypto.IntegrityFailure("data key belongs to another case")
    return key


def associated_data(instance: EncryptedRow, field_name: str, data_key: DataKey) -> bytes:
    """model | field | logical row id | row version | data key id, as bytes."""
    # Formatting UUIDs dominated decryption time, so the row's part is built once per version.
    identity = (instance.uuid, instance.row_version, data_key.uuid)
    cached = instance.__dict__.get("_marac_ad")
    if cached is None or cached[0] != identity:
        label = logical_model(instance)._meta.label_lower
        cached = (identity, f"marac:field:v1|{label}|", f"|{instance.uuid}|{instance.row_version}|{data_key.uuid}")
        instance.__dict__["_marac_ad"] = cached
    return f"{cached[1]}{field_name}{cached[2]}".encode()


class EncryptedAttribute:
    """Replaces Django's field descriptor: decrypts on read, remembers plaintext assigned."""

    def __init__(self, field: "EncryptedField") -> None:
        self.field = field

    def __get__(self, instance: EncryptedRow | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            instance.refresh_from_db(fields=[name])  # a deferred field
        cache = instance.__dict__.setdefault(PLAIN_CACHE, {})
        if name in cache:
            return cache[name]
        stored = instance.__dict__[name]
        if not isinstance(stored, Ciphertext):
            return stored  # assigned in this request, not saved yet
        cache[name] = self.field.decrypt(instance, stored)
        return cache[name]

    def __set__(self, instance: EncryptedRow, value: object) -> None:
        instance.__dict__[self.field.attname] = value
        instance.__dict__.setdefault(PLAIN_CACHE, {}).pop(self.field.attname, None)


class EncryptedField(models.BinaryField):
    """Base class: subclasses say how a value becomes bytes and which form field edits it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", True)
        kwargs["null"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("null", None)
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, EncryptedAttribute(self))

    def get_lookup(self, lookup_name: str) -> NoReturn:
        raise TypeError(f"{self.name} is encrypted and cannot be searched; use a blind index.")

    empty_value: str | None = None

    def to_python(self, value: Any) -> Any:
        return value  # model validation sees the plaintext; BinaryField would base64-decode it

    def get_default(self) -> Any:
        # BinaryField's default is b""; an encrypted field's is its type's own empty value. A
        # declared default is Field's own (BinaryField's would turn "" into b"").
        return models.Field.get_default(self) if self.has_default() else self.empty_value

    def from_db_value(self, value: bytes | memoryview | None, expression: object, connection: object) -> Ciphertext | None:
        return None if value is None else Ciphertext(bytes(value))

    # --- the two directions -------------------------------------------------------------
    def encrypt(self, instance: EncryptedRow, value: object) -> bytes:
        data_key = data_key_of(instance)
        return crypto.encrypt(data_key_bytes(data_key), self.marked(value), associated_data(instance, self.name, data_key))

    def marked(self, value: object) -> bytes:
        """The bytes encrypted for `value`: None and a value are told apart by a marker."""
        return NONE_MARKER if value is None else VALUE_MARKER + self.to_bytes(value)

    def decrypt(self, instance: EncryptedRow, stored: bytes) -> Any:
        try:
            data_key = data_key_of(instance)
            plaintext = crypto.decrypt(data_key_bytes(data_key), stored, associated_data(instance, self.name, data_key))
        except crypto.IntegrityFailure as failure:
            logger.error("integrity_failure model=%s field=%s row=%s", logical_model(instance)._meta.label_lower, self.name, instance.uuid)
            failure.case_reference = getattr(case_of(instance), "reference", "")  # for the access log
            raise
        if plaintext == NONE_MARKER:
            return None
        return self.from_bytes(plaintext[1:])

    def pre_save(self, model_instance: models.Model, add: bool) -> Ciphertext:
        stored = model_instance.__dict__.get(self.attname)
        if isinstance(stored, Ciphertext) and not isinstance(model_instance, EncryptedModel):
            return stored  # a history row: the live row's ciphertext, copied as it is
        if not isinstance(model_instance, EncryptedModel):
            raise TypeError("History rows hold ciphertext only.")
        if model_instance._marac_pending is None:
            raise TypeError("An encrypted row is written by save(), or after encrypt_for_write().")
        # In place before post_save, where simple-history copies it into the history row.
        stored = model_instance.__dict__[self.attname] = Ciphertext(model_instance._marac_pending[self.attname])
        return stored

    def value_from_object(self, obj: models.Model) -> Ciphertext | None:
        # What leaves through serialisation (dumpdata, fixtures) is the stored ciphertext: never
        # decrypted, and unaffected by shredding. A value assigned and not yet saved is plaintext
        # and gives nothing. Forms read attributes instead (referrals.forms).
        stored = obj.__dict__.get(self.attname)
        return stored if isinstance(stored, Ciphertext) else None

    def value_to_string(self, obj: models.Model) -> str | None:  # type: ignore[override]  # None: no stored value yet
        # Serialisation (dumpdata, fixtures) carries ciphertext, never plaintext.
        stored = obj.__dict__.get(self.attname)
        return base64.b64encode(stored).decode("ascii") if isinstance(stored, Ciphertext) else None

    # --- per type -----------------------------------------------------------------------
    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError


class EncryptedTextField(EncryptedField):
    empty_value = ""
    DEFAULT_MAX_LENGTH = 2000  # a form limit: no record field needs more, and it bounds abuse

    def to_bytes(self, value: object) -> bytes:
        if not isinstance(value, str):  # not str(value): bytes would be stored as "b'...'"
            raise TypeError(f"{self.name} needs text")
        return value.encode("utf-8")

    def from_bytes(self, data: bytes) -> str:
        return data.decode("utf-8")

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field:
        defaults: dict[str, Any] = {
            "required": not self.blank,
            "label": self.verbose_name.capitalize(),
            "help_text": self.help_text,
            "max_length": self.max_length or self.DEFAULT_MAX_LENGTH,
            "widget": forms.TextInput,
            **kwargs,
        }
        return (form_class or forms.CharField)(**defaults)


class EncryptedDateField(EncryptedField):
    def to_bytes(self, value: object) -> bytes:
        if not isinstance(value, datetime.date):
            raise TypeError(f"{self.name} needs a date")
        return value.isoformat().encode("ascii")

    def from_bytes(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode("ascii"))

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field:
        from marac.govuk_forms import GovukDateField

        defaults: dict[str, Any] = {
            "required": not self.blank,
            "label": self.verbose_name.capitalize(),
            "help_text": self.help_text,
            **kwargs,
        }
        return (form_class or GovukDateField)(**defaults)


class EncryptedJSONField(EncryptedField):
    def to_bytes(self, value: object) -> bytes:
        return json.dumps(value, sort_keys=True, default=_json_default).encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> None:
        return None  # edited through purpose-built form fields, not raw JSON


def _json_default(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class EncryptedModel(models.Model):
    """A model with encrypted fields. Saving re-encrypts every field under a new row version,
    after checking each stored value still authenticates: tampered data is never re-saved; and
    writes the row's version and digest into the audit chain (row_versions, ADR 0023)."""

    ENCRYPTION_CASE_PATH = "case"  # attribute leading to the object with `data_key`; "" for self

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    row_version = models.PositiveIntegerField(default=0, editable=False)

    # Every value encrypted under the next version, between encrypt_for_write() and the write.
    _marac_pending: dict[str, bytes] | None = None

    class Meta:
        abstract = True

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        if update_fields is not None:
            # Every encrypted value is re-encrypted under the new version, so all of them, and the
            # version, must be written together; a partial save would leave the row unreadable.
            update_fields = {*update_fields, "row_version", *(f.attname for f in self.encrypted_fields())}
        self.encrypt_for_write()
        try:
            # The row and its entry in the audit chain commit together (ADR 0023), so a row put
            # back from a backup shows against the chain. No savepoint: inside a service's
            # transaction this costs the append's one statement and nothing more.
            with transaction.atomic(savepoint=False):
                super().save(*args, update_fields=update_fields, **kwargs)
                row_versions.row_written(self)
        finally:
            self._marac_pending = None

    @classmethod
    def encrypted_fields(cls) -> list[EncryptedField]:
        return [f for f in cls._meta.concrete_fields if isinstance(f, EncryptedField)]

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, from_queryset: models.QuerySet[Any] | None = None
    ) -> None:
        """Reload stored ciphertext as it is: Django's own refresh copies each field through its
        descriptor, which would decrypt everything (and fail for an erased case)."""
        encrypted = [f.attname for f in self.encrypted_fields() if fields is None or f.attname in fields]
        others = (
            [f.attname for f in self._meta.concrete_fields if f.attname not in encrypted]
            if fields is None
            else [name for name in fields if name not in encrypted]
        )
        if others:
            super().refresh_from_db(using=using, fields=others, from_queryset=from_queryset)
        if encrypted:
            queryset = from_queryset if from_queryset is not None else type(self)._base_manager.db_manager(using)
            stored = queryset.filter(pk=self.pk).values_list(*encrypted).get()
            for name, value in zip(encrypted, stored, strict=True):
                self.__dict__[name] = value
                self.__dict__.get(PLAIN_CACHE, {}).pop(name, None)

    def encrypt_for_write(self) -> None:
        """Encrypt every value under the next row version, ready for the database. save() does
        this; bulk_create of new rows (synthetic data at scale) calls it first itself, and writes
        no history."""
        fields = self.encrypted_fields()
        plaintexts = {f.attname: getattr(self, f.attname) for f in fields}  # raises on tampering
        self.row_version += 1
        self._marac_pending = {f.attname: f.encrypt(self, plaintexts[f.attname]) for f in fields}
        self.__dict__[PLAIN_CACHE] = plaintexts


def encrypt_new_rows_for_write(rows: Sequence[EncryptedModel]) -> None:
    """encrypt_for_write for many new rows of one model (a bulk load, marac.bulk): each value
    encrypted exactly as a save encrypts it, under the row's case's data key and bound to the
    model, field, row, next version and key, with one cipher and one read of random nonces per
    row instead of one per value."""
    if not rows:
        return
    model = type(rows[0])
    fields = model.encrypted_fields()
    to_seal = []
    for row in rows:
        if type(row) is not model:  # another model's fields would be bound under these names
            raise TypeError(f"rows of one model only: {type(row).__name__} among {model.__name__}")
        plaintexts = {f.attname: getattr(row, f.attname) for f in fields}  # raises on tampering
        row.row_version += 1
        data_key = data_key_of(row)
        values = [(f.marked(plaintexts[f.attname]), associated_data(row, f.name, data_key)) for f in fields]
        to_seal.append((data_key_bytes(data_key), values))
        row.__dict__[PLAIN_CACHE] = plaintexts
    # One read of the random source for the batch's nonces: each read is a system call.
    for row, stored in zip(rows, crypto.encrypt_rows(to_seal), strict=True):
        row._marac_pending = {f.attname: value for f, value in zip(fields, stored, strict=True)}


def copy_ciphertext_to_history(sender: type[models.Model], instance: models.Model, history_instance: models.Model, **kwargs: Any) -> None:
    if isinstance(instance, EncryptedModel):
        for field in instance.encrypted_fields():
            history_instance.__dict__[field.attname] = instance.__dict__[field.attname]
