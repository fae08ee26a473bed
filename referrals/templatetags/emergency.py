"""Links to the emergency access pages, for those who may use them (ADR 0020): asking and one's own
asks for the roles that may ask; the requests to decide for coordinators and chairs."""

from django import template

from referrals.access import EMERGENCY_APPROVER_ROLES, may_break_glass

register = template.Library()


@register.inclusion_tag("referrals/_emergency_links.html", takes_context=True)
def emergency_links(context) -> dict:
    viewer = getattr(context.get("request"), "viewer", None)
    if viewer is None:
        return {"may_ask": False, "approver": False}
    return {"may_ask": may_break_glass(viewer), "approver": bool(viewer.areas_for(*EMERGENCY_APPROVER_ROLES))}
