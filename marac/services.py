"""Writes about people's accounts: second-factor enrolment, backup codes, resets.

Security events are logged with ids and event names only. When the audit log exists
(DESIGN 4.5) these calls are where its entries are written.
"""

import logging

from django.conf import settings
from django.db import transaction

import audit
from marac.models import User
from marac.second_factor import AuthenticatorApp, BackupCode, BackupCodes

logger = logging.getLogger("marac.security")

BACKUP_DEVICE_NAME = "Backup codes"
TOTP_DEVICE_NAME = "Authenticator app"


def totp_confirmed_device(*, user: User) -> AuthenticatorApp | None:
    return AuthenticatorApp.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def totp_enrolment_start(*, user: User) -> AuthenticatorApp:
    """A new key for every visit to the set-up page, replacing any unconfirmed one.

    So a key glimpsed earlier by someone else who had the password (a new starter's first
    password, say) is void once the person starts setting up their own app.
    """
    AuthenticatorApp.objects.filter(user=user, confirmed=False).delete()
    return AuthenticatorApp.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)  # a fresh sealed key


def totp_enrolment_device(*, user: User, device_id: int | None) -> AuthenticatorApp | None:
    """The key this session is setting up, if it is still the current one."""
    if device_id is None:  # no set-up page loaded in this session
        return None
    return AuthenticatorApp.objects.filter(user=user, confirmed=False, pk=device_id).first()


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: AuthenticatorApp, token: str) -> bool:
    """Confirm the device if the person's app produced a current code for its key.

    django-otp's own throttle is set aside here: after one wrong code it refuses every code,
    the right one too, for a second (then 2, 4, 8), and the person was told their correct code
    was wrong. It protects nothing at set-up, where reloading the page makes a fresh unthrottled
    key; what stops guessing is the account lockout, which the view counts every wrong code
    towards (five lock the account for the cool-off time, whatever key is on the page).
    """
    if device.user_id != user.pk or device.confirmed:
        return False
    device.throttle_reset(commit=False)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    logger.info("second_factor_enrolled user_id=%s device_id=%s", user.pk, device.pk)
    return True


@transaction.atomic
def backup_codes_issue(*, user: User) -> list[str]:
    """Replace the person's backup codes with new single-use ones and return them to show once."""
    device, _ = BackupCodes.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
    device.codes.all().delete()
    codes = [BackupCode.random_code() for _ in range(settings.MARAC_BACKUP_CODE_COUNT)]
    for code in codes:  # each sealed, bound to its own row, under the primary key (ADR 0022)
        sealed = BackupCode(device=device)
        sealed.seal(code.encode())
        sealed.save()
    logger.info("backup_codes_issued user_id=%s", user.pk)
    audit.record(event="backup_codes_issued", user=user)
    return codes


def backup_codes_remaining(*, user: User) -> int:
    return BackupCode.objects.filter(device__user=user).count()


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> None:
    """Remove every second-factor device, so the person must enrol again at next sign-in.

    A session verified with a removed device stops being verified at its next request
    (django-otp looks the device up each time), so this also ends their signed-in access.
    """
    AuthenticatorApp.objects.filter(user=user).delete()
    BackupCodes.objects.filter(user=user).delete()
    logger.info("second_factor_reset user_id=%s by_user_id=%s", user.pk, by.pk)
    audit.record(event="second_factor_reset", user=by, purpose=f"for user {user.pk}")
