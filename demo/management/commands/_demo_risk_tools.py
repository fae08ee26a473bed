"""Other risk tools and per-area escalation for the demo (issue 18, items 1 and 2; ADR 0024): the
police refer Leanne Hart on DARA, recorded as DARA gave it and never re-keyed into the DASH;
Charnwood sets visible high risk at 16, counts police call-outs for escalation and counts DARA's
medium level as high; and Joanne Price's case in Charnwood, last assessed 120 days ago, is due
a re-assessment. Every name and detail is invented."""

from datetime import timedelta

from django.utils import timezone

from marac.models import Agency, EscalationBasis, MaracArea, User
from referrals import risk_tool_services
from referrals.models import AreaToolCriteria, Case, ToolAssessment
from referrals.services import case_create

POLICE = "Leicestershire Police"
REFERRED_ON_DARA = {
    "name": "Leanne Hart",
    "address": "6 Meadow Lane, Coalville LE67 3TX",
    "phone": "07700 900987",
    "safe_times": "Mornings, when he is at work",
}
DARA_RATIONALE = (
    "Officer attended a 999 call: she disclosed he had held her by the throat and that she believes he will kill her. "
    "Separation last month; escalating in frequency."
)


def seed_risk_tools(areas: dict[str, MaracArea], cases: dict[str, Case]) -> None:
    """`areas` by short code and `cases` by victim name, as create_cases made them."""
    charnwood = areas["CHA"]
    charnwood.high_risk_threshold, charnwood.escalation_basis = 16, EscalationBasis.POLICE_CALLOUTS
    charnwood.save(update_fields=["high_risk_threshold", "escalation_basis"])
    AreaToolCriteria.objects.get_or_create(area=charnwood, tool="dara", defaults={"high_risk_levels": ["medium", "high"]})
    if ToolAssessment.objects.exists():  # safe to run again
        return
    referrer = User.objects.get(username="referrer")
    police = Agency.objects.get(name=POLICE)
    today = timezone.localdate()
    # Made as the demo referrer for brevity, like the demo's other police cases (see _demo_teams).
    case = case_create(area=areas["NWL"], referring_agency=police, victim=REFERRED_ON_DARA, by=referrer)
    cases[REFERRED_ON_DARA["name"]] = case
    dara = risk_tool_services.tool_assessment_record(
        case=case,
        tool="dara",
        version="1",
        level="high",
        assessed_on=today - timedelta(days=2),
        agency=police,
        rationale=DARA_RATIONALE,
        by=referrer,
        today=today,
    )
    risk_tool_services.tool_referral_submit(
        record=dara,
        by=referrer,
        agency=police,
        consent="without",
        today=today,
        without_consent_reason="High risk at the call-out; she was too frightened to agree.",
    )
