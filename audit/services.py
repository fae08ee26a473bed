from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.module_loading import import_string

from audit import chain
from audit.models import AccessEvent

if TYPE_CHECKING:
    # The stubs' name for AUTH_USER_MODEL: the log's core names no project model.
    from django.contrib.auth.models import _User

    from audit.rows import RowFact


def _client_ip(request: HttpRequest | None) -> str:
    # The same address resolution as lockout uses, without importing the marac app.
    return import_string(settings.AXES_CLIENT_IP_CALLABLE)(request) if request is not None else ""


def _user(user: "_User | AnonymousUser | None", request: HttpRequest | None) -> "_User | None":
    if user is None and request is not None:
        user = request.user
    if user is None or isinstance(user, AnonymousUser):
        return None
    return user if user.is_authenticated else None


LIMITS = {f.name: f.max_length for f in AccessEvent._meta.fields if f.max_length}


def _fitted(**values: Any) -> dict[str, Any]:
    """Each text cut to its column: a caller passing a 200-digit id from a URL must still get its
    event written (PostgreSQL refuses an over-long value; SQLite would keep it whole)."""
    return {name: value[: LIMITS[name]] if name in LIMITS else value for name, value in values.items()}


def access_events_record_reads(*, request: HttpRequest | None, reads: Mapping[str, Iterable[str]], purpose: str) -> None:
    user, client_ip = _user(None, request), _client_ip(request)
    chain.append(
        [
            AccessEvent(
                user=user, **_fitted(event="case_read", case_reference=ref, fields=sorted(fields), purpose=purpose, client_ip=client_ip)
            )
            for ref, fields in reads.items()
        ]
    )


def access_event_record(
    *,
    event: str,
    user: "_User | AnonymousUser | None",
    request: HttpRequest | None,
    case_reference: str,
    fields: Iterable[str],
    purpose: str,
    outcome: str,
) -> AccessEvent:
    record = AccessEvent(
        user=_user(user, request),
        **_fitted(
            event=event, case_reference=case_reference, fields=list(fields), purpose=purpose, outcome=outcome, client_ip=_client_ip(request)
        ),
    )
    chain.append([record])
    return record


def access_events_record_rows(
    *, rows: "Iterable[RowFact]", event: str, user: "_User | AnonymousUser | None", request: HttpRequest | None, purpose: str
) -> None:
    """One chain entry per row, appended together: a bulk write's hundreds of rows cost one
    statement on PostgreSQL (the chain's arrays) and one bulk insert on SQLite."""
    who, client_ip = _user(user, request), _client_ip(request)
    rows = list(rows)
    if chain.copies(len(rows)):  # a bulk load's: no model instance for each entry
        fitted = _fitted(event=event, purpose=purpose, client_ip=client_ip)
        chain.append_rows(rows, user_id=who.pk if who is not None else None, **fitted)
        return
    chain.append(
        [
            AccessEvent(
                user=who,
                row_model=row.model,
                row_id=row.id,
                row_version=row.version,
                row_digest=row.digest,
                **_fitted(event=event, case_reference=row.case_reference, purpose=purpose, client_ip=client_ip),
            )
            for row in rows
        ]
    )
