"""Everything writes to the audit log through audit.record(); this app imports nothing from
the others (DESIGN section 3)."""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the auth models cannot load while the app registry is filling
    # _User is the stubs' name for AUTH_USER_MODEL: the log's core names no project model.
    from django.contrib.auth.models import AnonymousUser, _User
    from django.http import HttpRequest

    from audit.rows import RowFact


def record(
    *,
    event: str,
    user: "_User | AnonymousUser | None" = None,
    request: "HttpRequest | None" = None,
    case_reference: str = "",
    fields: Iterable[str] = (),
    purpose: str = "",
    outcome: str = "allowed",
) -> None:
    """Write one access event. `fields` are field names, never values."""
    from audit.services import access_event_record

    access_event_record(
        event=event, user=user, request=request, case_reference=case_reference, fields=sorted(fields), purpose=purpose, outcome=outcome
    )


def record_case_reads(*, request: "HttpRequest", reads: Mapping[str, Iterable[str]], purpose: str) -> None:
    """One access event per case a page read: {case reference: names of the fields it revealed}."""
    from audit.services import access_events_record_reads

    access_events_record_reads(request=request, reads=reads, purpose=purpose)


def record_rows(
    *,
    rows: "Iterable[RowFact]",
    event: str = "row_written",
    user: "_User | AnonymousUser | None" = None,
    request: "HttpRequest | None" = None,
    purpose: str = "",
) -> None:
    """Write each row's version and the digest of its ciphertexts into the chain (ADR 0023), so a
    row later put back or changed outside the service shows (verify_rows). Ids and digests only."""
    from audit.services import access_events_record_rows

    access_events_record_rows(rows=rows, event=event, user=user, request=request, purpose=purpose)
