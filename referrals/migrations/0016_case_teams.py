"""Case teams (issue 17, ADR 0019): who is on a case, and every existing case allocated to the
worker who made it, so nobody loses a case they work on when access starts to follow allocation."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def allocate_existing_cases(apps, schema_editor):
    """Each case to its creator, and to whoever referred it, each only while they hold an active
    referrer membership at the case's agency in its area, which the allocation is linked to: a
    maker who has left gets nothing, so nothing comes back if they rejoin. Dated the day the case
    was made; allocated by its creator, as case_create does."""
    Case = apps.get_model("referrals", "Case")
    Referral = apps.get_model("referrals", "Referral")
    Membership = apps.get_model("marac", "Membership")
    CaseAllocation = apps.get_model("referrals", "CaseAllocation")
    active_referrers = Membership.objects.filter(role="referrer", is_active=True, user__is_active=True)
    membership_of = {(m.user_id, m.agency_id, m.area_id): m.pk for m in active_referrers}
    referred_by: dict[int, set[int]] = {}
    for case_id, user_id in Referral.objects.values_list("case_id", "referred_by_id"):
        referred_by.setdefault(case_id, set()).add(user_id)
    rows = []
    for case in Case.objects.values("pk", "created_by_id", "created_at", "area_id", "referring_agency_id").iterator():
        since = case["created_at"].date()
        for user_id in sorted({case["created_by_id"]} | referred_by.get(case["pk"], set())):
            membership_id = membership_of.get((user_id, case["referring_agency_id"], case["area_id"]))
            if membership_id is None:
                continue
            rows.append(
                CaseAllocation(
                    case_id=case["pk"],
                    user_id=user_id,
                    membership_id=membership_id,
                    kind="referring",
                    allocated_by_id=case["created_by_id"],
                    starts_on=since,
                )
            )
        if len(rows) >= BATCH:
            CaseAllocation.objects.bulk_create(rows)
            rows = []
    CaseAllocation.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0015_emergency_access_requests"),
        ("marac", "0006_emergency_access_notices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseAllocation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("referring", "Referring worker"), ("allocated", "Allocated worker"), ("cover", "Cover for absence")],
                        max_length=10,
                    ),
                ),
                ("starts_on", models.DateField()),
                ("until", models.DateField(blank=True, help_text="Cover only: the last day it gives access.", null=True)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                (
                    "allocated_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "case",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="allocations", to="referrals.case"),
                ),
                (
                    "ended_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="case_allocations", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.membership"),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["user", "ended_at"], name="allocation_user_current"),
                    models.Index(fields=["case", "ended_at"], name="allocation_case_current"),
                ],
            },
        ),
        migrations.RunPython(allocate_existing_cases, migrations.RunPython.noop),
    ]
