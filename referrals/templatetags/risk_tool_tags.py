"""How pages name an assessment made with another risk tool (ADR 0024). Presentation only: the
page decided, through the field policy, that the reader may see it."""

from django import template
from django.utils.formats import date_format

from referrals.models import ToolAssessment
from referrals.risk_tool_page import tool_label

register = template.Library()


@register.filter
def tool_level(record: ToolAssessment | None) -> str:
    """How a page names it: "DARA (College of Policing) v1: high"."""
    return tool_label(record) if record is not None else ""


@register.filter
def tool_attribution(record: ToolAssessment | None) -> str:
    """Who made it and who keyed it in: the assessing agency is chosen by whoever records it (the
    police's DARA is recorded by an IDVA or the coordinator), so whoever decides on a referral
    resting on it sees both, never the agency alone (ADR 0024)."""
    if record is None:
        return ""
    on = date_format(record.assessed_on, "j F Y")
    return f"assessed by {record.assessing_agency.name} on {on}, recorded by {record.recorded_by.display_name}"
