"""The home page's work list: what needs each person's attention, per role they hold.

The core knows nothing of referrals, meetings or the audit workspace (DESIGN 3), so each app
registers, from its AppConfig.ready(), providers for the roles it serves. A provider takes the
viewer and returns work items: a label, a count (or None for a fact such as a date), where the
work is done, and a short detail. Providers count with SQL aggregates in a fixed number of
queries, scoped by the viewer's memberships, and never decrypt anything: the home page shows
numbers and dates, never a victim's data.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from marac.models import Role
from marac.viewer import Viewer


@dataclass(frozen=True)
class WorkItem:
    label: str
    count: int | None  # None: a fact to know (the next meeting), not a number of things to do
    url: str
    detail: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.count is None or self.count > 0


@dataclass(frozen=True)
class RoleWork:
    role: str
    label: str
    items: list[WorkItem]


Provider = Callable[[Viewer], Iterable[WorkItem]]
_providers: dict[str, list[Provider]] = {}


def register(role: str, provider: Provider) -> None:
    """Add `provider`'s items to the home page of everyone holding `role`. Registering the same
    provider twice (ready() run again) adds it once."""
    registered = _providers.setdefault(role, [])
    if provider not in registered:
        registered.append(provider)


def work_for(viewer: Viewer) -> list[RoleWork]:
    """Per role the person holds, in the roles' usual order, the items that need attention.
    A role with nothing to do is left out, so an empty list means nothing needs attention."""
    work = []
    for role, label in Role.choices:
        if role not in viewer.roles:
            continue
        items = [item for provider in _providers.get(role, ()) for item in provider(viewer) if item.needs_attention]
        if items:
            work.append(RoleWork(role, label, items))
    return work
