"""A meeting to benchmark packs with: its agenda issued, a representative in, and research from
three agencies on every case (everything a pack can hold). Import after _harness has set Django up."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from meetings import services as meetings
from meetings.models import Meeting
from referrals import services
from referrals.checklists import CURRENT

RESEARCH = "Known since 2019: " + "contact with the family recorded at each visit; concerns about the children's school attendance. " * 6
ANSWERS = {q.id: {"answer": "yes", "note": "Disclosed at the first visit."} for q in CURRENT.questions}


@dataclass
class BenchMeeting:
    meeting: Meeting
    coordinator: User
    chair: User
    representative: User


def meeting_with_cases(cases: int) -> BenchMeeting:
    area = MaracArea.objects.create(name=f"Bench {cases}", short_code=f"B{cases}")
    agencies = [Agency.objects.create(name=f"Bench agency {cases}-{n}", kind=AgencyKind.OTHER) for n in range(3)]
    people = {}
    for role in (Role.COORDINATOR, Role.CHAIR, Role.REFERRER, Role.AGENCY_REP):
        people[role] = User.objects.create(username=f"bench_{cases}_{role}")
        Membership.objects.create(user=people[role], agency=agencies[0], area=area, role=role)
    coordinator, chair, referrer, rep = (people[r] for r in (Role.COORDINATOR, Role.CHAIR, Role.REFERRER, Role.AGENCY_REP))
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=30),
        venue="Bench room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=agencies,
        by=coordinator,
    )
    today = date.today()
    for n in range(cases):
        victim = {"name": f"Person {n}", "date_of_birth": date(1980, 1, 1 + n % 28), "address": f"{n} Bench Road", "phone": "07700 900000"}
        case = services.case_create(area=area, referring_agency=agencies[0], by=referrer, victim=victim)
        perpetrator = {"name": f"Perpetrator {n}", "relationship_to_victim": "ex_partner"}
        services.perpetrator_add(case=case, details=perpetrator, by=referrer, today=today)
        services.household_member_add(case=case, details={"name": f"Child {n}"}, is_child=True, by=referrer, today=today)
        assessment = services.assessment_start(case=case, by=referrer, on=today)
        services.assessment_answer(assessment=assessment, answers=ANSWERS, by=referrer)
        referral = services.referral_submit(assessment=assessment, by=referrer, agency=agencies[0], consent="given", today=today)
        services.referral_decide(referral=referral, status="accepted", reason="", by=coordinator)
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
    for agency in agencies:
        Membership.objects.get_or_create(user=rep, agency=agency, area=area, role=Role.AGENCY_REP)
    meetings.confidentiality_accept(meeting=meeting, user=rep, agency=agencies[0])
    for item in meeting.agenda_items.select_related("case"):
        for agency in agencies:
            meetings.research_save(
                meeting=meeting,
                case=item.case,
                agency=agency,
                facts=RESEARCH,
                opinion=RESEARCH[:300],
                not_shared="Health records: no consent.",
                by=rep,
                expected_version=0,
            )
    meeting.refresh_from_db()
    return BenchMeeting(meeting=meeting, coordinator=coordinator, chair=chair, representative=rep)
