"""How much sign-in a view needs. The default, for any view not marked here, is the full two
factors: SecondFactorRequiredMiddleware enforces it, so a new view is protected by default.
"""

from collections.abc import Callable

PUBLIC = "public"
# The name of an access level, not a password
PASSWORD_ONLY = "password"  # noqa: S105  # nosec B105
VERIFIED = "verified"


def _mark(level: str) -> Callable:
    def decorate(view):
        view.marac_access_level = level
        return view

    return decorate


# Reachable without signing in: sign-in itself, the health check, the accessibility statement.
public = _mark(PUBLIC)
# Reachable after the password and before the second factor: the second-factor steps themselves.
password_only = _mark(PASSWORD_ONLY)


def access_level(view) -> str:
    return getattr(view, "marac_access_level", VERIFIED)
