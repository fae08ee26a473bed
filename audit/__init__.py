"""Everything writes to the audit log through audit.record(); this app imports nothing from
the others (DESIGN section 3)."""


def record(
    *, event: str, user=None, request=None, case_reference: str = "", fields=(), purpose: str = "", outcome: str = "allowed"
) -> None:
    """Write one access event. `fields` are field names, never values."""
    from audit.services import access_event_record

    access_event_record(
        event=event, user=user, request=request, case_reference=case_reference, fields=sorted(fields), purpose=purpose, outcome=outcome
    )


def record_case_reads(*, request, reads: dict[str, set[str]], purpose: str) -> None:
    """One access event per case a page read: {case reference: names of the fields it revealed}."""
    from audit.services import access_events_record_reads

    access_events_record_reads(request=request, reads=reads, purpose=purpose)
