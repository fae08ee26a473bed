"""A 25-case meeting pack for the coordinator (everything unredacted, research from three
agencies on every case): seconds and peak memory of rendering it in the limited child process,
as a ratio to WeasyPrint rendering the same HTML directly in this process (target: 1.5x at most).
Renders alternate so the shared machine's noise falls on both alike."""

import logging
import os
import resource
import statistics
import time
from datetime import date, timedelta

from _harness import report, test_database
from django.utils import timezone

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.pdf import render_pdf, static_dirs
from marac.pdf_worker import STATIC_BASE, render
from marac.viewer import Viewer
from meetings import services as meetings
from meetings.access import meeting_access_for
from meetings.packs import pack_for
from referrals import services
from referrals.checklists import CURRENT

test_database()
logging.getLogger("fontTools").setLevel(logging.WARNING)  # in-process subsetting logs every table at INFO

CASES = int(os.environ.get("BENCH_PACK_CASES", "25"))
REPEATS = int(os.environ.get("BENCH_PACK_REPEATS", "3"))
RESEARCH = "Known since 2019: " + "contact with the family recorded at each visit; concerns about the children's school attendance. " * 6

area = MaracArea.objects.create(name="Bench", short_code="BEN")
agencies = [Agency.objects.create(name=f"Bench agency {n}", kind=AgencyKind.OTHER) for n in range(3)]
people = {}
for role in (Role.COORDINATOR, Role.CHAIR, Role.REFERRER, Role.AGENCY_REP):
    people[role] = User.objects.create(username=f"bench_{role}")
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
answers = {q.id: {"answer": "yes", "note": "Disclosed at the first visit."} for q in CURRENT.questions}
for n in range(CASES):
    case = services.case_create(
        area=area,
        referring_agency=agencies[0],
        by=referrer,
        victim={"name": f"Person {n}", "date_of_birth": date(1980, 1, 1 + n % 28), "address": f"{n} Bench Road", "phone": "07700 900000"},
    )
    services.perpetrator_add(
        case=case, details={"name": f"Perpetrator {n}", "relationship_to_victim": "ex_partner"}, by=referrer, today=date.today()
    )
    services.household_member_add(case=case, details={"name": f"Child {n}"}, is_child=True, by=referrer, today=date.today())
    assessment = services.assessment_start(case=case, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers=answers, by=referrer)
    referral = services.referral_submit(assessment=assessment, by=referrer, agency=agencies[0], consent="given", today=date.today())
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

html = pack_for(meeting_access_for(Viewer.of(coordinator), meeting.pk), "pack").html
dirs = static_dirs()


def child() -> bytes:
    return render_pdf(html)


def in_process() -> bytes:
    return render(html, dirs)


child_times, direct_times = [], []
for _ in range(REPEATS):
    for function, times in ((child, child_times), (in_process, direct_times)):
        started = time.perf_counter()
        pdf = function()
        times.append(time.perf_counter() - started)
child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
child_s, direct_s = statistics.median(child_times), statistics.median(direct_times)
report(f"{CASES}-case meeting pack, child process", child_s, "s", "(reported)", None)
report(f"{CASES}-case meeting pack, WeasyPrint in-process", direct_s, "s", "(baseline)", None)
report("pack in child process / in-process", child_s / direct_s, "x", "<= 1.5x", child_s / direct_s <= 1.5)
report(
    "pack child process peak memory",
    child_peak_mib,
    "MiB",
    f"< {os.environ.get('MARAC_PDF_MEMORY_MB', '1536')} MiB limit",
    child_peak_mib < int(os.environ.get("MARAC_PDF_MEMORY_MB", "1536")),
)
print(f"(pack: {len(html) // 1024} KiB of HTML, {len(pdf) // 1024} KiB of PDF; STATIC_BASE {STATIC_BASE})")
