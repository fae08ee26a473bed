"""Recording an assessment made with another risk tool, the area's criteria for it, and when a case
is due a re-assessment (issue 18 items 1 and 2, ADR 0024)."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from marac.history import acting
from marac.models import Agency, MaracArea, User
from referrals import risk_tools, rules, selectors, services, signals
from referrals.models import AreaToolCriteria, Case, Referral, ToolAssessment
from referrals.voice import voice_clean

RATIONALE_LIMIT = 2000


def high_risk_levels_for(*, area: MaracArea, tool: str, version: str | None = None) -> list[str]:
    """The levels of this tool the area counts as visible high risk: its own setting, else the
    tool's top level (risk_tools.default_high_risk_levels). With a version, only levels that
    version gives: an area's setting is checked against the newest version, and an assessment
    made with an earlier one whose levels it does not name counts that version's top level, as
    with no setting, never none at all."""
    found = AreaToolCriteria.objects.filter(area=area, tool=tool).values_list("high_risk_levels", flat=True).first()
    definition = risk_tools.tool(tool, version) if version else None
    if definition is not None:
        return [level for level in found or () if level in definition.level_codes] or [definition.top_level]
    return list(found) if found else risk_tools.default_high_risk_levels(tool)


def _problems(*, definition: risk_tools.RiskTool | None, level: str, assessed_on: date, rationale: str, today: date) -> dict[str, str]:
    errors = {}
    if definition is None:
        errors["tool"] = "Choose the risk tool the assessment was made with"
    elif level not in definition.level_codes:
        names = ", ".join(label.lower() for _, label in definition.levels)
        errors["level"] = f"Choose a level {definition.name} gives: {names}"
    if assessed_on > today:
        errors["assessed_on"] = "The date of the assessment must be today or in the past"
    if not rationale.strip():
        errors["rationale"] = "Give the assessor's rationale for the level"
    elif len(rationale) > RATIONALE_LIMIT:
        errors["rationale"] = f"The rationale must be {RATIONALE_LIMIT} characters or fewer"
    return errors


@transaction.atomic
def tool_assessment_record(
    *,
    case: Case,
    tool: str,
    version: str,
    level: str,
    assessed_on: date,
    agency: Agency,
    rationale: str,
    by: User,
    today: date,
) -> ToolAssessment:
    """Record an assessment made with another tool as that tool gave it: its level and the
    assessor's rationale, never re-keyed into the DASH. It keeps the area's criteria for the tool
    as they stand now, so what it meant when recorded stays known."""
    definition = risk_tools.tool(tool, version)
    if errors := _problems(definition=definition, level=level, assessed_on=assessed_on, rationale=rationale, today=today):
        raise ValidationError(errors)
    locked = Case.objects.select_for_update(of=("self",)).select_related("area", "data_key").get(pk=case.pk)  # serialises with case_shred
    if locked.is_shredded:
        raise ValidationError("This case has been erased, so nothing more can be recorded on it")
    record = ToolAssessment(
        case=locked,
        tool=tool,
        tool_version=version,
        level=level,
        assessed_on=assessed_on,
        assessing_agency=agency,
        rationale=rationale.strip(),
        high_risk_levels=high_risk_levels_for(area=locked.area, tool=tool, version=version),
        recorded_by=by,
    )
    acting(record, by)
    record.full_clean(exclude=[f.name for f in ToolAssessment.encrypted_fields()])
    record.save()
    audit.record(
        event="tool_assessment_recorded", user=by, case_reference=locked.reference, fields=["rationale"], purpose="risk assessment"
    )
    signals.case_changed.send(sender=Case, case_id=locked.pk)
    return record


def tool_referral_criteria(*, record: ToolAssessment, today: date, repeats: dict[str, bool] | None = None) -> set[rules.Criterion]:
    """The criteria a referral resting on this assessment meets today: visible high risk when the
    tool's level met the area's criteria as recorded, and escalation and repeat as for a checklist
    (from the case's own history unless `repeats` is given). No DASH score is involved."""
    case = record.case
    repeats = services.repeat_by_definition(case, today, matches_elsewhere=False) if repeats is None else repeats
    return rules.referral_criteria(
        score=0,
        area=case.area,
        judgement=False,
        escalation_count=selectors.escalation_count_last_12_months(case, today),
        repeat=repeats[case.area.repeat_definition],
        tool_high_risk=record.meets_high_risk,
    )


@transaction.atomic
def tool_referral_submit(
    *,
    record: ToolAssessment,
    by: User,
    agency: Agency,
    consent: str,
    without_consent_reason: str = "",
    today: date,
    voice: dict | None = None,
) -> Referral:
    """Refer to MARAC on an assessment made with another tool (a police referral on DARA, say),
    as services.referral_submit does from a checklist: the criteria are worked out, not chosen;
    one referral per assessment; nothing is re-keyed into the DASH."""
    Case.objects.select_for_update().get(pk=record.case_id)  # serialises two submits and erasure
    record = ToolAssessment.objects.select_related("case__area", "case__data_key").get(pk=record.pk)
    if record.case.is_shredded:
        raise ValidationError("This case has been erased, so it can no longer be referred")
    if record.referrals.exists():
        raise ValidationError("A referral has already been made on this assessment")
    # As referral_submit: whether it may go is decided on what the referrer may be told.
    if not tool_referral_criteria(record=record, today=today):
        raise ValidationError(
            "This case meets no MARAC referral criterion on this assessment. Complete a risk checklist "
            "and use professional judgement if you are worried."
        )
    repeats = services.repeat_by_definition(record.case, today)
    criteria = tool_referral_criteria(record=record, today=today, repeats=repeats)
    if consent == Referral.Consent.WITHOUT and not without_consent_reason.strip():
        raise ValidationError("Say why the referral is being made without the victim's consent")
    return services.referral_made(
        case=record.case,
        basis={"tool_assessment": record},
        criteria=criteria,
        repeats=repeats,
        agency=agency,
        by=by,
        consent=consent,
        without_consent_reason=without_consent_reason,
        today=today,
        heard=voice_clean(voice or {}),
    )


def reassessment_due_on(*, latest: date | None, area: MaracArea) -> date | None:
    """A re-assessment is due the area's number of weeks after the latest risk assessment, with
    the DASH or another tool; a case never assessed has none due."""
    return latest + timedelta(weeks=area.reassessment_weeks) if latest else None
