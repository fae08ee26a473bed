"""The safe-contact guardrail (issue 18 item 4, ADR 0025): wherever a victim's address, phone or
email is shown, her safe-contact instructions stand beside it for a reader who may read them;
a reader who may see the contact details but not the instructions (the chair, extended emergency
access) is told that there may be instructions and to check with the coordinator first.

The warning shows whether or not instructions are recorded: whether she has a safe address is
itself something those readers may not know, and "check first" is the safe habit either way.
Every value is read through the victim's RedactedView, so the page logs what it revealed.

No PDF prints safe contact details, whoever it is for (ADR 0011): a pack is a document that can be
printed, left on a desk or forwarded. So in a pack every reader of the contact details gets the
warning instead, pointing those who may read the instructions to the case page."""

from django import template

from marac.security.policy import RedactedView

register = template.Library()

CONTACT = ("address", "phone", "email")
SAFE = (
    ("safe_address", "Safe address"),
    ("safe_phone", "Safe phone"),
    ("safe_times", "Safe times to call"),
    ("do_not_contact_via", "Never contact via"),
)


@register.inclusion_tag("components/safe_contact.html")
def safe_contact(victim: RedactedView, pdf: bool = False, withheld_rows: bool = False) -> dict:
    """Summary-list rows (or, with `pdf`, a pack's paragraphs) to put right after the contact
    details. `withheld_rows`: show each instruction the reader may not read as Withheld (the case
    page, which lists every field); elsewhere they are left out."""
    readable = {name for name, _ in SAFE if victim.may_read(name)}
    contact = any(victim.may_read(name) for name in CONTACT)
    if pdf:
        return {"pdf": True, "rows": [], "warning": contact, "on_case_page": bool(readable)}
    rows = [(label, getattr(victim, name)) for name, label in SAFE if name in readable or withheld_rows]
    return {"pdf": False, "rows": rows, "warning": contact and not readable}
