"""Second factors whose secrets are sealed at rest under the keyring (ADR 0022).

django-otp's own TOTP and backup-code plugins keep the TOTP key as hex and backup codes as plain
text, so anyone with a copy of the database (a backup, a replica, a leaked dump) could produce
codes. These are proper django-otp devices (its `Device`, `ThrottlingMixin` and `TimestampMixin`,
so `OTPMiddleware` finds a session's device by persistent id and throttling works as before),
with django-otp's own TOTP arithmetic (`django_otp.oath.TOTP`); only where the secrets are kept
differs: sealed by `marac.security.account_secrets`, bound to their row and field.

Backup codes are sealed rather than hashed: at 40 bits a code is no safer as a keyed hash once
the key is known, and sealed codes re-seal on key rotation, so an old key can be retired.
"""

import math
import os
import time
import uuid
from base64 import b32encode
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from marac.security.account_secrets import place_of, secret_open, secret_reseal, secret_seal

TOTP_KEY_BYTES = 20  # 160 bits, as RFC 4226 recommends and django-otp's default
BACKUP_CODE_BYTES = 5  # eight base-32 characters, as django-otp's backup codes
THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]
# django-otp doubles the wait after each wrong code without a practical limit, so someone holding
# the password could push a person's wait to months. Guessing is stopped by the lockout (five
# wrong codes lock the username); the wait only paces typing, so it stops growing at 64 seconds.
MOST_FAILURES_COUNTED = 7  # 1, 2, 4 ... 64 seconds


class CappedThrottle(ThrottlingMixin):
    class Meta:
        abstract = True

    def throttle_increment(self, commit: bool = True) -> None:
        failures: int = self.throttling_failure_count  # type: ignore[has-type]  # django-otp is untyped
        self.throttling_failure_timestamp = timezone.now()
        self.throttling_failure_count = min(failures + 1, MOST_FAILURES_COUNTED)
        if commit:
            self.save()


class SealedSecret(models.Model):
    """One secret sealed under a key-encryption key, bound to this row (its uuid) and field."""

    SEALED_FIELD = "sealed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kek_id = models.CharField(max_length=64, editable=False)
    sealed = models.BinaryField(editable=False)

    class Meta:
        abstract = True

    @classmethod
    def place(cls, row_uuid: object) -> str:
        return place_of(model_label=cls._meta.label_lower, row_uuid=row_uuid, field=cls.SEALED_FIELD)

    def seal(self, secret: bytes) -> None:
        self.kek_id, self.sealed = secret_seal(plaintext=secret, place=self.place(self.uuid))
        self.__dict__["_marac_secret"] = (self.kek_id, bytes(self.sealed), secret)

    def secret(self) -> bytes:
        # Kept on this instance only (one request's objects), never in a process-wide cache.
        cached = self.__dict__.get("_marac_secret")
        if cached is not None and cached[0] == self.kek_id and cached[1] == bytes(self.sealed):
            return bytes(cached[2])
        plain = secret_open(kek_id=self.kek_id, sealed=self.sealed, place=self.place(self.uuid))
        self.__dict__["_marac_secret"] = (self.kek_id, bytes(self.sealed), plain)
        return plain


class AuthenticatorApp(TimestampMixin, CappedThrottle, SealedSecret, Device):  # type: ignore[django-manager-missing]  # django-otp is untyped
    """A TOTP authenticator app: django-otp's TOTPDevice with its key sealed, never stored as hex."""

    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)  # the time step of the last code accepted: no replay

    class Meta:
        verbose_name = "authenticator app"

    def __str__(self) -> str:
        return f"Authenticator app {self.pk} of user {self.user_id}"  # never the key

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.sealed:  # a new device gets a fresh random key, as TOTPDevice's default does
            self.seal(os.urandom(TOTP_KEY_BYTES))
        super().save(*args, **kwargs)

    @property
    def bin_key(self) -> bytes:
        return self.secret()

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token: object) -> bool:
        """django-otp's TOTPDevice.verify_token, saving only the counters (never the key)."""
        if not self.verify_is_allowed()[0]:
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if _as_number(token) is not None and totp.verify(_as_number(token), self.tolerance, self.last_t + 1):
            self.last_t, self.drift = totp.t(), totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save(update_fields=["last_t", "drift", "last_used_at", *THROTTLE_FIELDS])
            return True
        self.throttle_increment(commit=False)
        self.save(update_fields=THROTTLE_FIELDS)
        return False

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app reads from the QR code (as TOTPDevice's)."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "")).replace(":", "")
        label = f"{issuer}:{self.user.get_username()}" if issuer else self.user.get_username()
        params = {"secret": b32encode(self.bin_key), "algorithm": "SHA1", "digits": self.digits, "period": self.step}
        query = urlencode(params) + (f"&issuer={quote(issuer)}" if issuer else "")
        return f"otpauth://totp/{quote(label)}?{query}"


def _as_number(token: object) -> int | None:
    try:
        return int(str(token))
    except ValueError:
        return None


class BackupCodes(TimestampMixin, CappedThrottle, Device):
    """A person's single-use backup codes, as one django-otp device; each code is sealed."""

    class Meta:
        verbose_name = "backup codes"
        verbose_name_plural = "backup codes"

    def __str__(self) -> str:
        return f"Backup codes of user {self.user_id}"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token: object) -> bool:
        """Accept an unused code once: it is deleted as it is used (django-otp's StaticDevice)."""
        if not self.verify_is_allowed()[0]:
            return False
        # Every code is opened and compared in constant time: a few AES-GCM opens, no early exit.
        matches = [code for code in self.codes.all() if constant_time_compare(code.secret(), str(token).encode())]
        if matches:
            matches[0].delete()
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save(update_fields=["last_used_at", *THROTTLE_FIELDS])
            return True
        self.throttle_increment(commit=False)
        self.save(update_fields=THROTTLE_FIELDS)
        return False


class BackupCode(SealedSecret):
    device = models.ForeignKey(BackupCodes, related_name="codes", on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"Backup code {self.pk}"  # never the code

    @staticmethod
    def random_code() -> str:
        return b32encode(os.urandom(BACKUP_CODE_BYTES)).decode("ascii").lower()


@dataclass(frozen=True)
class CodeCheck:
    """What checking a security code found: the device that accepted it, or how long to wait
    before a code can be checked at all (django-otp's throttle after a wrong one), or neither."""

    device: Device | None = None
    wait_seconds: int = 0


@transaction.atomic
def second_factor_check(*, user: Any, code: str, authenticator_only: bool = False) -> CodeCheck:
    """Check a code against the device it can belong to: digits are from the authenticator app,
    anything else is a backup code. A throttled device is not asked at all, and the person is
    told to wait, rather than that a correct code was wrong. The row is locked, so two requests
    cannot both spend one code."""
    if code.isdigit() or authenticator_only:
        device: AuthenticatorApp | BackupCodes | None = (
            AuthenticatorApp.objects.select_for_update().filter(user=user, confirmed=True).first()
        )
    else:
        device = BackupCodes.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return CodeCheck()
    allowed, why = device.verify_is_allowed()
    if not allowed:
        remaining = (why["locked_until"] - timezone.now()).total_seconds() if why and "locked_until" in why else 1
        return CodeCheck(wait_seconds=max(1, math.ceil(remaining)))
    return CodeCheck(device=device if device.verify_token(code) else None)


SEALED_MODELS: tuple[type[AuthenticatorApp] | type[BackupCode], ...] = (AuthenticatorApp, BackupCode)


def second_factor_secrets_rotate() -> dict[str, int]:
    """Re-seal every second-factor secret not under the primary KEK. Each row is updated only if
    it is still as it was read, so a key replaced (a new enrolment) meanwhile is left alone; a
    re-run picks up anything left. Returns how many were re-sealed."""
    primary = settings.MARAC_KEYRING.primary_id
    resealed = 0
    for model in SEALED_MODELS:
        for pk, row_uuid, kek_id, sealed in model.objects.exclude(kek_id=primary).values_list("pk", "uuid", "kek_id", "sealed").iterator():
            new_kek, new_sealed = secret_reseal(kek_id=kek_id, sealed=sealed, place=model.place(row_uuid))
            # No history or audit trail on these rows (SECURITY.md, history): a plain update.
            resealed += model.objects.filter(pk=pk, kek_id=kek_id, sealed=sealed).update(kek_id=new_kek, sealed=new_sealed)
    return {"resealed": resealed}


def second_factor_secrets_by_kek() -> dict[str, int]:
    """How many second-factor secrets each KEK seals: a KEK at zero here and for data keys can go."""
    totals: dict[str, int] = {}
    for model in SEALED_MODELS:
        for row in model.objects.values("kek_id").annotate(count=Count("pk")):
            totals[row["kek_id"]] = totals.get(row["kek_id"], 0) + row["count"]
    return dict(sorted(totals.items()))
