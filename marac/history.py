"""Who made a change, as the history tables record it. django-simple-history reads
`_history_user` from the instance being saved: the way to name the person when a service or
command saves without a request at hand."""

from typing import TypeVar

from django.db.models import Model

from marac.models import User

M = TypeVar("M", bound=Model)


def acting(record: M, user: User | None) -> M:
    """`record`, marked so its next save or delete is recorded as `user`'s."""
    record._history_user = user  # type: ignore[attr-defined]  # simple-history's hook, not a field
    return record
