"""Demo organisations and one person per role, from the North West Leicestershire strategy in
shared/seeds. Safe to run again: it adds what is missing and changes nothing that exists."""

import base64

from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from marac.management.commands._demo import refuse_in_production
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User

DEMO_PASSWORD = "marac-demo-2026"

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
    # Not enrolled: shows the first sign-in, where a person sets up their authenticator app.
    ("new_idva", "Chloe", "Evans", Role.REFERRER, "Loughborough Women's Aid", "CHA", False),
]


class Command(BaseCommand):
    help = "Create demo areas, agencies and one person per role (development only)."

    def handle(self, *args, **options):
        refuse_in_production()
        with transaction.atomic():
            areas = {a["short_code"]: MaracArea.objects.get_or_create(short_code=a["short_code"], defaults=a)[0] for a in AREAS}
            agencies = {name: Agency.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in AGENCIES}
            for person in PEOPLE:
                self.ensure_person(person, areas, agencies)
        self.print_sign_ins()

    def ensure_person(self, person, areas, agencies) -> None:
        username, first, last, role, agency, area, enrolled = person
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, agency=agencies[agency], area=areas[area], role=role)
        if enrolled and created:
            TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)

    def print_sign_ins(self) -> None:
        out = self.stdout.write
        out("")
        out("Demo sign-ins at http://127.0.0.1:8000/sign-in/")
        out(f"Password for every demo account (unless you changed it): {DEMO_PASSWORD}")
        out("")
        out(f"{'username':<13} {'role':<23} second factor: add this key to an authenticator app")
        for username, *_ in PEOPLE:
            user = User.objects.get(username=username)
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            role = ", ".join(m.get_role_display() for m in user.memberships.filter(is_active=True))
            key = base64.b32encode(device.bin_key).decode() if device else "none yet: you set one up at first sign-in"
            out(f"{username:<13} {role:<23} {key}")
        out("")
        out("No authenticator app to hand? Print a demo account's current code with:")
        out("  make demo-code ACCOUNT=coordinator")
        out("")
