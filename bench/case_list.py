"""A 50-row case list with encrypted victim fields, as a ratio to the same list with the same
values in plaintext columns (target: at most 1.3x). Both lists run the same query shape and
render the real case list template; the encrypted one goes through the field policy."""

import uuid
from datetime import date

from _harness import median_seconds, report, test_database
from django.db import connection, models
from django.template.loader import render_to_string

from marac.models import Agency, AgencyKind, MaracArea, User
from marac.security.policy import RedactedView, Rel
from referrals.models import Case
from referrals.services import case_create

test_database()

ROWS = 50


class PlainVictim(models.Model):
    """The baseline: every column of referrals.Victim, with the personal fields in plaintext."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plain_victim")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    row_version = models.PositiveIntegerField(default=1)
    name = models.TextField()
    aliases = models.JSONField(default=list)
    date_of_birth = models.DateField(null=True)
    alternative_dates_of_birth = models.JSONField(default=list)
    address = models.TextField(blank=True)
    phone = models.TextField(blank=True)
    email = models.TextField(blank=True)
    safe_address = models.TextField(blank=True)
    safe_phone = models.TextField(blank=True)
    safe_times = models.TextField(blank=True)
    do_not_contact_via = models.TextField(blank=True)

    class Meta:
        app_label = "referrals"

    def __str__(self) -> str:
        return f"Plain victim in {self.case_id}"  # never the name, even in a benchmark


with connection.schema_editor() as editor:
    editor.create_model(PlainVictim)

area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench agency", kind=AgencyKind.IDVA)
user = User.objects.create(username="bench")
for n in range(ROWS):
    victim = {
        "name": f"Person {n}",
        "aliases": [f"Alias {n}"],
        "date_of_birth": date(1980, 1, 1 + n % 28),
        "address": f"{n} Long Lane, Coalville",
        "phone": f"07700 900{n:03d}",
        "email": f"person{n}@example.org",
        "safe_address": f"Flat {n}, Ashby Road",
        "safe_phone": f"07700 901{n:03d}",
        "safe_times": "Weekdays",
        "do_not_contact_via": "Landline",
    }
    case = case_create(area=area, referring_agency=agency, by=user, victim=victim)
    PlainVictim.objects.create(case=case, **victim)

COORDINATOR = {Rel.COORDINATOR}
base = Case.objects.select_related("area", "referring_agency", "data_key")


def encrypted_list() -> str:
    rows = [(case, RedactedView(case.victim, COORDINATOR), "High") for case in base.select_related("victim")[:ROWS]]
    return render_to_string("referrals/case_list.html", {"rows": rows})


def plain_list() -> str:
    rows = [(case, case.plain_victim, "High") for case in base.select_related("plain_victim")[:ROWS]]
    return render_to_string("referrals/case_list.html", {"rows": rows})


assert encrypted_list() == plain_list()  # the same page, so the comparison is fair
for _ in range(5):
    encrypted_list(), plain_list()  # warm up templates (data keys are unwrapped on every run)

warm = [median_seconds(encrypted_list, 1) / median_seconds(plain_list, 1) for _ in range(41)]
warm.sort()
ratio = warm[len(warm) // 2]


report(f"{ROWS}-row case list, encrypted / plaintext", ratio, "x", "<= 1.3x", ratio <= 1.3)
report(f"{ROWS}-row plaintext list (baseline)", median_seconds(plain_list, 21) * 1000, "ms", "-", None)
