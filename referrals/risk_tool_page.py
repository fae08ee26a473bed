"""What the case page shows of assessments made with other risk tools, and when the case is due a
re-assessment (ADR 0024).

The tool, its level and whether that met the area's visible high risk are codes, but they say
how much danger the victim is in (and that the police assessed her), so they are shown, like a
checklist's score, only to those the field policy lets read the rationale, and logged as read
(`toolassessment.level`); anyone else sees that an assessment was recorded, when and by which agency.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from marac.security.policy import WITHHELD
from referrals.models import Case, RiskAssessment, ToolAssessment
from referrals.risk_tool_services import reassessment_due_on

MODEL = "referrals.toolassessment"


@dataclass(frozen=True)
class ToolAssessmentShown:
    pk: int
    referred: bool  # a referral rests on it (one per assessment)
    on: date
    tool: Any  # "DARA (College of Policing) v1", or Withheld
    level: Any  # "High", or Withheld
    meets_high_risk: Any  # whether the level met the area's criteria when recorded, or Withheld
    agency: str
    recorded_by: str
    rationale: Any


@dataclass(frozen=True)
class ReassessmentShown:
    due_on: date
    overdue: bool


def tool_label(record: ToolAssessment) -> str:
    """How the case page and triage name it: "DARA (College of Policing) v1: high"."""
    definition = record.definition
    if definition is None:  # a version no longer defined here: its codes, never a guess
        return f"{record.tool} v{record.tool_version}: {record.level}"
    return f"{definition.name}: {definition.level_label(record.level).lower()}"


def tool_assessments_shown(records: list[ToolAssessment], reads) -> list[ToolAssessmentShown]:
    """Newest first, each through the field policy; `reads` is the page's case_page.Reads."""
    readable = reads.may_read(MODEL, "rationale")
    if readable and records:
        reads.facts.update({"toolassessment.tool", "toolassessment.level"})
    shown = []
    for r in sorted(records, key=lambda r: (r.assessed_on, r.pk), reverse=True):
        definition = r.definition
        shown.append(
            ToolAssessmentShown(
                pk=r.pk,
                referred=getattr(r, "referral_count", 0) > 0,
                on=r.assessed_on,
                tool=(definition.name if definition else f"{r.tool} v{r.tool_version}") if readable else WITHHELD,
                level=(definition.level_label(r.level) if definition else r.level) if readable else WITHHELD,
                meets_high_risk=r.meets_high_risk if readable else WITHHELD,
                agency=r.assessing_agency.name,
                recorded_by=r.recorded_by.display_name,
                rationale=reads.view(r, "toolassessment.").rationale,
            )
        )
    return shown


def reassessment_shown(
    case: Case, assessments: list[RiskAssessment], records: list[ToolAssessment], today: date
) -> ReassessmentShown | None:
    """When an open case is next due a risk assessment: the area's weeks after its latest, with
    the DASH (complete) or another tool. The date says nothing of the risk, so everyone who may
    see the case sees it, as they see the checklist's date."""
    if case.status != Case.Status.OPEN:
        return None
    dates = [a.assessed_on for a in assessments if a.status == RiskAssessment.Status.COMPLETE] + [r.assessed_on for r in records]
    due = reassessment_due_on(latest=max(dates, default=None), area=case.area)
    return ReassessmentShown(due, due < today) if due else None
