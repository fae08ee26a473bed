from django.conf import settings
from django.core.management.base import CommandError


def refuse_in_production() -> None:
    """Demo data and printed second-factor secrets must never reach a live service."""
    if settings.MARAC_ENV == "production":
        raise CommandError("This command is for development only and refuses to run in production.")


def current_code(device) -> str:
    """The code an authenticator app would show now for a TOTP device (demo and tests only)."""
    import time

    from django_otp.oath import TOTP

    # No drift: an app knows the time, not the server's record of its drift. After a code checked
    # just past the end of its 30 seconds the server keeps a drift of -1, and applied here it gave
    # the code already used, which the next check refused (a CI flake in the production smoke).
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
