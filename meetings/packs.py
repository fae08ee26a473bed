"""PDFs of a meeting — agenda, meeting pack, minutes and an agency's action extract — prepared
for one recipient: redacted for them by the field policy, marked with their name on every page,
and rendered in a limited child process (pdf.py). The download view and `manage.py render_pack`
both call `pack_for`, so the command renders exactly what the person would download.

A pack's fingerprint is a keyed digest of its HTML (everything but the day it is prepared on)
and of the PDF stylesheets: two packs with the same fingerprint say the same thing to the same
person, laid out the same way, so a stored PDF is served only while its fingerprint is still the
one the records give now (stored_packs.py)."""

import functools
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from marac.pdf import STATIC_BASE, recipient_line, render_pdf
from marac.security.documents import fingerprint
from meetings import selectors
from meetings.access import MeetingAccess
from meetings.models import AgencyAttendance, Attendance, Decision
from meetings.presenters import carried_over_for, case_at_meeting, reads_of, windows_closing_for, with_alerts, with_meeting_records

KINDS = {"agenda": "agenda", "pack": "meeting pack", "minutes": "minutes", "actions": "action extract"}
# Stands in for the day in the HTML that is hashed. An element, so text anyone typed (escaped on
# the way in) can never look like it.
_PREPARED_ON = mark_safe("<marac-prepared-on></marac-prepared-on>")  # nosec B308 B703: a constant


class PackNotAvailable(Exception):
    """This person may not have this kind of PDF for this meeting, or not yet."""


@dataclass
class Pack:
    html: str
    filename: str
    reads: dict[str, set[str]]
    fingerprint: str
    case_ids: set[int]

    def pdf(self) -> bytes:
        return render_pdf(self.html)


def may_have(access: MeetingAccess, kind: str) -> bool:
    if kind not in KINDS or not access.sees_cases:
        return False
    if kind in ("minutes", "actions"):
        return access.minutes or access.meeting.minutes_locked  # representatives get issued minutes only
    return True


def pack_for(access: MeetingAccess, kind: str, *, today: date | None = None) -> Pack:
    """Everything one person may see of this meeting in one kind of PDF, as HTML to render."""
    if not may_have(access, kind):
        raise PackNotAvailable(kind)
    meeting = access.meeting
    rows = [case_at_meeting(item, access) for item in selectors.agenda(meeting)]
    records = selectors.meeting_records(meeting, {row.case_id for row in rows})
    rows = with_alerts([with_meeting_records(row, access, **records.for_case(row.case_id)) for row in rows])
    carried = carried_over_for(access)
    context = {
        "kind": kind,
        "kind_label": KINDS[kind],
        "meeting": meeting,
        "rows": rows,
        "carried_over": carried,
        "closing": windows_closing_for(access),
        "shows_closing": access.minutes,
        "decisions": dict(Decision.choices),
        "pdf_static": STATIC_BASE,
        "attendances": Attendance.objects.filter(meeting=meeting, present=True).select_related("user", "agency"),
        "register": _register(meeting),
        "agencies": _extract_agencies(access, kind),
        "prepared_on": _PREPARED_ON,
        **recipient_line(access.viewer, meeting.area_id, access.attendance.agency if access.attendance else None),
    }
    undated = render_to_string(f"pdf/meeting_{kind}.html", context)
    html = undated.replace(_PREPARED_ON, date_format(today or timezone.localdate(), "j F Y"))
    reads = reads_of(rows)
    for action in carried:
        reads.setdefault(action.reference, set()).update(action.view.revealed)
    day = timezone.localtime(meeting.starts_at).date()
    return Pack(
        html=html,
        filename=f"{meeting.area.short_code}-MARAC-{day:%Y-%m-%d}-{kind}.pdf",
        reads=reads,
        fingerprint=fingerprint(_stylesheets() + undated),
        case_ids={row.case_id for row in rows} | {action.case_id for action in carried},
    )


def _register(meeting) -> dict[str, list[str]]:
    """The agencies' lines of the register, as the minutes list them. Agency names only."""
    lines = AgencyAttendance.objects.filter(meeting=meeting).select_related("agency").order_by("agency__name")
    register: dict[str, list[str]] = {"present": [], "apologies": [], "absent": []}
    for line in lines:
        if line.apologies:
            register["apologies"].append(f"{line.agency.name} (information {'sent' if line.information_sent else 'not sent'})")
        else:
            register["present" if line.status == AgencyAttendance.Status.PRESENT else "absent"].append(line.agency.name)
    return register


@functools.cache
def _stylesheets() -> str:
    """A digest of the PDF stylesheets: a new layout (the footer that carries the recipient line,
    say) makes every stored pack out of date, like new content does."""
    digest = hashlib.sha256()
    for directory in settings.STATICFILES_DIRS:
        for path in sorted(Path(directory, "pdf").glob("*.css")):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _extract_agencies(access: MeetingAccess, kind: str) -> set[int] | None:
    """Whose actions an action extract holds: a representative's own agency; everyone's for the
    coordinator and chair (None)."""
    return None if access.minutes or kind != "actions" else set(access.rep_agencies)
