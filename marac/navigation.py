"""The service navigation, by role. Later features add their items here, with the roles that
see them; a person sees an item if any of their active memberships has one of its roles."""

from dataclasses import dataclass

from django.urls import reverse

from marac.models import Notification, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: everyone signed in with both factors


CASE_ROLES = frozenset({Role.REFERRER, Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP, Role.TEAM_LEAD, Role.AUDITOR})

NAV_ITEMS = (
    NavItem("Home", "home"),
    NavItem("Cases", "case-list", CASE_ROLES),
    NavItem("My referrals", "my-referrals", frozenset({Role.REFERRER})),
    NavItem("Triage", "triage", frozenset({Role.COORDINATOR})),
    NavItem("Transfers", "transfer-offers", frozenset({Role.COORDINATOR})),  # offered to and from the area (ADR 0019)
    NavItem("Team", "team-cases", frozenset({Role.TEAM_LEAD})),
    NavItem("Meetings", "meeting-list", frozenset({Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP})),
    NavItem("Actions", "action-tracker", frozenset({Role.COORDINATOR, Role.CHAIR, Role.AGENCY_REP})),
    NavItem("NI 32 and data return", "ni32-report", frozenset({Role.COORDINATOR, Role.CHAIR})),
    NavItem("Retention", "retention-review", frozenset({Role.COORDINATOR, Role.CHAIR})),  # cases due for erasure, holds (ADR 0027)
    NavItem("Audit", "audit-search", frozenset({Role.AUDITOR})),
    NavItem("Administration", "admin:index", frozenset({Role.ADMIN})),
    NavItem("Notifications", "notifications"),
    NavItem("Your account", "account"),
)


def items_for(roles: set[str], current_path: str) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if item.roles is None or item.roles & roles:
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "current": current_path == url})
    return items


def navigation(request) -> dict:
    """Template context processor: navigation only once both factors are verified."""
    user, viewer = getattr(request, "user", None), getattr(request, "viewer", None)
    if user is None or viewer is None or not user.is_authenticated or not user.is_verified():
        return {"navigation": []}
    items = items_for(viewer.roles, request.path)
    # One count query a page: how many notifications the person has not read, shown in the menu.
    unread = Notification.objects.filter(user=user, read_at=None).count()
    if unread:
        for item in items:
            if item["url"] == reverse("notifications"):
                item["label"] = f"Notifications ({unread} new)"
    return {"navigation": items}
