"""Demo organisations, one person per role and a few cases, from the North West Leicestershire
strategy in shared/seeds. Safe to run again: it adds what is missing and changes nothing that
exists. Every name, address and number below is invented."""

import base64
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.management.commands._demo import refuse_in_production
from demo.management.commands._demo_children import seed_children
from demo.management.commands._demo_measures import seed_measures
from demo.management.commands._demo_meetings import seed_meetings
from demo.management.commands._demo_perpetrators import seed_perpetrators
from demo.management.commands._demo_retention import seed_retention
from demo.management.commands._demo_risk_tools import seed_risk_tools
from demo.management.commands._demo_teams import seed_teams
from demo.management.commands._demo_voice import seed_voice
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp
from meetings import stored_packs
from meetings.models import Meeting
from referrals import services
from referrals.checklists import CURRENT, Band
from referrals.models import Case, Referral
from referrals.services import case_create

# The documented demo password; seed_demo refuses to run in production
DEMO_PASSWORD = "marac-demo-2026"  # noqa: S105  # nosec B105

AREAS = [
    {"short_code": "NWL", "name": "North West Leicestershire", "adult_female_population": 42_000},
    {"short_code": "CHA", "name": "Charnwood", "adult_female_population": 76_000},
]
AGENCIES = [
    ("Leicestershire Police", AgencyKind.POLICE),
    ("Loughborough Women's Aid", AgencyKind.IDVA),
    ("North West Leicestershire District Council Housing", AgencyKind.HOUSING),
    ("North West Leicestershire District Council", AgencyKind.OTHER),
    ("Leicestershire Children's Social Care", AgencyKind.CHILDRENS_SOCIAL_CARE),
    ("Leicestershire Adult Social Care", AgencyKind.ADULT_SOCIAL_CARE),
    ("Leicestershire Partnership NHS Trust", AgencyKind.HEALTH),
    ("Probation Service", AgencyKind.PROBATION),
    ("Turning Point", AgencyKind.SUBSTANCE_MISUSE),
]
# username, first name, last name, role, agency, area, enrolled with a second factor?
PEOPLE = [
    ("referrer", "Priya", "Shah", Role.REFERRER, "Loughborough Women's Aid", "NWL", True),
    ("coordinator", "Gareth", "Hughes", Role.COORDINATOR, "Leicestershire Police", "NWL", True),
    ("chair", "Helen", "Marsh", Role.CHAIR, "Leicestershire Police", "NWL", True),
    ("agency_rep", "Tom", "Okafor", Role.AGENCY_REP, "Leicestershire Children's Social Care", "NWL", True),
    ("auditor", "Ruth", "Bell", Role.AUDITOR, "North West Leicestershire District Council", "NWL", True),
    ("admin", "Sam", "Patel", Role.ADMIN, "North West Leicestershire District Council", "NWL", True),
    # Case teams (ADR 0019): a team lead per referring agency here, a second IDVA worker, and
    # Charnwood's coordinator, who is offered a case.
    ("team_lead", "Nadia", "Khan", Role.TEAM_LEAD, "Loughborough Women's Aid", "NWL", True),
    ("idva_worker", "Leah", "Morgan", Role.REFERRER, "Loughborough Women's Aid", "NWL", True),
    ("police_lead", "Mark", "Dunn", Role.TEAM_LEAD, "Leicestershire Police", "NWL", True),
    ("housing_lead", "Amy", "Ford", Role.TEAM_LEAD, "North West Leicestershire District Council Housing", "NWL", True),
    ("cha_coord", "Owen", "Lewis", Role.COORDINATOR, "Leicestershire Police", "CHA", True),
    # Not enrolled: shows the first sign-in, where a person sets up their authenticator app.
    ("new_idva", "Chloe", "Evans", Role.REFERRER, "Loughborough Women's Aid", "CHA", False),
]


# Victims' records are stored encrypted like any real record (referrals.services.case_create).
CASES = [
    (
        "NWL",
        "Loughborough Women's Aid",
        {
            "name": "Sarah Mitchell",
            "date_of_birth": date(1989, 3, 14),
            "aliases": ["Sarah Kerr"],
            "address": "14 Belvoir Road, Coalville LE67 3PH",
            "phone": "07700 900123",
            "safe_address": "Flat 2, 9 Ashby Road, Shepshed LE12 9BS",
            "safe_phone": "07700 900456",
            "safe_times": "Weekdays 10am to 2pm",
            "do_not_contact_via": "The home landline: he answers it",
        },
    ),
    (
        "NWL",
        "Leicestershire Police",
        {
            "name": "Aisha Rahman",
            "date_of_birth": date(1994, 11, 2),
            "language": "Tigrinya",  # encrypted like her name (test_raw_dumps looks for it)
            "needs_interpreter": True,
            "address": "3 Agar Nook Lane, Coalville LE67 4SH",
            "phone": "07700 900789",
            "safe_phone": "07700 900321",
            "safe_times": "After 6pm",
        },
    ),
    (
        "NWL",
        "Loughborough Women's Aid",
        {
            "name": "Kerry Doyle",
            "date_of_birth": date(1978, 7, 21),
            "alternative_dates_of_birth": ["1978-07-12"],
            "address": "27 Silver Street, Whitwick LE67 5EW",
            "safe_address": "Care of Whitwick Health Centre",
        },
    ),
    (
        "CHA",
        "Loughborough Women's Aid",
        {
            "name": "Joanne Price",
            "date_of_birth": date(1985, 1, 9),
            "aliases": ["Jo Pryce"],
            "address": "8 Forest Road, Loughborough LE11 3NP",
            "phone": "07700 900654",
        },
    ),
    (
        "NWL",
        "Loughborough Women's Aid",
        {
            "name": "Jo Pryce",
            "date_of_birth": date(1985, 1, 9),
            "address": "2 Measham Road, Moira DE12 6AQ",
        },
    ),
    (
        "NWL",
        "North West Leicestershire District Council Housing",
        {
            "name": "Emma Walsh",
            "date_of_birth": date(1999, 5, 23),
            "address": "41 Greenhill Road, Coalville LE67 4RJ",
        },
    ),
]

# Perpetrators and household members, by victim name (all invented).
PEOPLE_ON_CASES = {
    "Sarah Mitchell": {
        "perpetrators": [
            {
                "name": "Darren Cole",
                "date_of_birth": date(1984, 2, 2),
                "relationship_to_victim": "ex_partner",
                "address": "11 Hermitage Road, Whitwick LE67 5EH",
            }
        ],
        "children": [
            {
                "name": "Mia Cole",
                "date_of_birth": date(2018, 6, 5),
                "school": "Greenhill Primary School",
                "relationship_to_victim": "daughter",
                "relationship_to_perpetrator": "daughter",
            }
        ],
    },
    "Kerry Doyle": {
        "perpetrators": [{"name": "Wayne Doyle", "date_of_birth": date(1976, 9, 30), "relationship_to_victim": "partner"}],
        "children": [
            {
                "name": "Josh Doyle",
                "date_of_birth": date(2011, 1, 17),
                "school": "Castle Rock School",
                "relationship_to_victim": "son",
                "relationship_to_perpetrator": "son",
            }
        ],
    },
    "Jo Pryce": {"perpetrators": [{"name": "Craig Pryce", "relationship_to_victim": "ex_partner"}]},
}

# What happened on each case, by victim name, in days before today (so the demo stays current):
# ("refer", days ago, yes answers, decision or None) / ("judgement", ...) / ("incident", days ago, kind, police call-out)
HISTORIES = {
    "Sarah Mitchell": [("refer", 200, 17, "accept"), ("incident", 40, "violence", True), ("refer", 10, 9, None)],
    "Aisha Rahman": [("judgement", 6, 8, "Strangulation last week; she fears he will kill her.")],
    "Kerry Doyle": [
        ("incident", 150, "threats", True),
        ("incident", 90, "violence", True),
        ("incident", 30, "breach", True),
        ("refer", 5, 6, "accept"),
    ],
    "Joanne Price": [("refer", 120, 15, "accept")],
    "Jo Pryce": [("refer", 3, 14, None)],
    "Emma Walsh": [("refer", 60, 14, "decline")],
}


class Command(BaseCommand):
    help = "Create demo areas, agencies and one person per role (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-packs", action="store_true", help="do not render the demo meetings' packs (tests that do not look at them)"
        )

    def handle(self, *args, without_packs: bool = False, **options):
        refuse_in_production()
        with transaction.atomic():
            areas = {a["short_code"]: MaracArea.objects.get_or_create(short_code=a["short_code"], defaults=a)[0] for a in AREAS}
            agencies = {name: Agency.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in AGENCIES}
            for person in PEOPLE:
                self.ensure_person(person, areas, agencies)
            if not Case.objects.exists():
                self.create_cases(areas, agencies)
            if not Meeting.objects.exists():
                seed_meetings(areas["NWL"], agencies)
        if not without_packs:
            self.prepare_packs()
        self.print_sign_ins()

    def prepare_packs(self) -> None:
        """The demo meetings' packs rendered and stored now, as workers would have done, so the demo
        shows what a recipient normally meets: a pack ready to download at once."""
        ready = 0
        for meeting_id in stored_packs.meetings_to_refresh():
            for pack_id in stored_packs.refresh(meeting_id):
                ready += stored_packs.render(pack_id) is not None
        self.stdout.write(f"Meeting packs prepared: {ready} rendered now, the rest were already current.")

    def create_cases(self, areas, agencies) -> None:
        referrer = User.objects.get(username="referrer")
        coordinator = User.objects.get(username="coordinator")
        made = {}
        for area, agency, victim in CASES:
            # Made by a referrer there, so the maker is on the case (ADR 0019): Charnwood's by its IDVA.
            maker = User.objects.get(username="new_idva") if area == "CHA" else referrer
            case = case_create(area=areas[area], referring_agency=agencies[agency], victim=victim, by=maker)
            self.add_people(case, PEOPLE_ON_CASES.get(victim["name"], {}), referrer)
            for event in HISTORIES.get(victim["name"], []):
                self.play(case, event, referrer, coordinator, agencies[agency])
            made[victim["name"]] = case
        seed_teams(areas, made)
        seed_measures(made)
        seed_risk_tools(areas, made)
        seed_retention(areas, made)
        seed_children(made)
        seed_perpetrators(made)
        seed_voice(made)

    def add_people(self, case, people, referrer) -> None:
        today = timezone.localdate()
        for details in people.get("perpetrators", []):
            services.perpetrator_add(case=case, details=details, by=referrer, today=today)
        for details in people.get("children", []):
            services.household_member_add(case=case, details=details, is_child=True, by=referrer, today=today)

    def play(self, case, event, referrer, coordinator, agency) -> None:
        today = timezone.localdate()
        kind, days_ago, *rest = event
        on = today - timedelta(days=days_ago)
        if kind == "incident":
            incident_kind, callout = rest
            services.incident_record(
                case=case, occurred_on=on, kind=incident_kind, police_callout=callout, agency=agency, by=referrer, today=today
            )
            return
        yes, extra = rest
        assessment = services.assessment_start(case=case, by=referrer, on=on)
        answers = {q.id: {"answer": "yes" if i < yes else "no"} for i, q in enumerate(CURRENT.questions)}
        services.assessment_answer(assessment=assessment, answers=answers, by=referrer)
        if kind == "judgement":
            services.assessment_override(assessment=assessment, band=Band.HIGH, rationale=extra, by=referrer)
        referral = services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent="given", today=on)
        if extra in ("accept", "decline"):
            reason = "" if extra == "accept" else "Moved to Derbyshire last week: referred to that MARAC instead."
            status = Referral.Status.ACCEPTED if extra == "accept" else Referral.Status.DECLINED
            services.referral_decide(referral=referral, status=status, reason=reason, by=coordinator)

    def ensure_person(self, person, areas, agencies) -> None:
        username, first, last, role, agency, area, enrolled = person
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, agency=agencies[agency], area=areas[area], role=role)
        if enrolled and created:
            AuthenticatorApp.objects.create(user=user, name="Demo authenticator", confirmed=True)

    def print_sign_ins(self) -> None:
        out = self.stdout.write
        out("")
        out("Demo sign-ins at http://127.0.0.1:8000/sign-in/")
        out(f"Password for every demo account (unless you changed it): {DEMO_PASSWORD}")
        out("")
        out(f"{'username':<13} {'role':<23} second factor: add this key to an authenticator app")
        for username, *_ in PEOPLE:
            user = User.objects.get(username=username)
            device = AuthenticatorApp.objects.filter(user=user, confirmed=True).first()
            role = ", ".join(m.get_role_display() for m in user.memberships.filter(is_active=True))
            key = base64.b32encode(device.bin_key).decode() if device else "none yet: you set one up at first sign-in"
            out(f"{username:<13} {role:<23} {key}")
        out("")
        out("No authenticator app to hand? Print a demo account's current code with:")
        out("  make demo-code ACCOUNT=coordinator")
        out("")
