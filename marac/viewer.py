"""The person behind a request: who they are and what their active memberships make them.

Built once per request by the session middleware (`request.viewer`, None until someone signs in:
no page that needs a viewer is reachable before both factors) and passed to every access getter,
selector, presenter and PDF builder, so roles and areas are worked out in one place and never
again from memberships by hand. Commands that act as a person (render_pack, say) build one with
`Viewer.of(user)`.
"""

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar

from django.http import HttpRequest

from marac.models import Agency, MaracArea, Membership, User

T = TypeVar("T")


class Viewer:
    def __init__(self, user: User, memberships: Iterable[Membership] = ()):
        self.user = user
        self.memberships: tuple[Membership, ...] = tuple(memberships)
        self._remembered: dict[str, Any] = {}

    @classmethod
    def of(cls, user: User) -> "Viewer":
        """The viewer for `user` with their active memberships (agency and area loaded)."""
        return cls(user, user.active_memberships())

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def roles_in(self, area_id: int) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships if m.area_id == area_id)

    def areas_for(self, *roles: str) -> set[int]:
        """The areas where the person holds any of `roles`."""
        return {m.area_id for m in self.memberships if m.role in roles}

    def area_records_for(self, *roles: str) -> list[MaracArea]:
        """The areas where the person holds any of `roles`, as loaded with their memberships, by name."""
        areas = {m.area_id: m.area for m in self.memberships if m.role in roles}
        return sorted(areas.values(), key=lambda area: area.name)

    def agencies_for(self, role: str, area_id: int | None = None) -> set[int]:
        """The agencies the person holds `role` for, in one area or in any."""
        return {m.agency_id for m in self.memberships if m.role == role and area_id in (None, m.area_id)}

    def pairs_for(self, role: str) -> set[tuple[int, int]]:
        """(area, agency) for each membership with `role`: a referrer refers for that agency in that area."""
        return {(m.area_id, m.agency_id) for m in self.memberships if m.role == role}

    def memberships_for(self, role: str) -> list[Membership]:
        return [m for m in self.memberships if m.role == role]

    def agency_in(self, area_id: int) -> Agency | None:
        """The agency the person works for in an area (their first membership there)."""
        return next((m.agency for m in self.memberships if m.area_id == area_id), None)

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per viewer: what an access getter works out for this person (their
        case-by-case grants, say) is the same for the whole request."""
        if key not in self._remembered:
            self._remembered[key] = compute()
        return self._remembered[key]


class ViewerRequest(HttpRequest):
    """A request as views and getters see it once the session middleware has run (for type
    checking; the middleware sets the attribute on Django's own request)."""

    viewer: Viewer
