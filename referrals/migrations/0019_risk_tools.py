"""Other risk tools and incidents reported to the police (issue 18, items 1 and 2; ADR 0024).

- Incident.reported_to_police: what potential escalation counts by default (SafeLives' wording).
  A police call-out is a report, so existing incidents called out are marked reported.
- ToolAssessment (with its history): an assessment made with another tool (the police DASH,
  DARA, a DASH variant), recorded as that tool gave it; tool, version and level are codes, the
  rationale is encrypted under the case's key.
- AreaToolCriteria (with its history): which of a tool's levels meet visible high risk in an area.
- Referral.tool_assessment: a referral may rest on such an assessment instead of a DASH checklist
  (police referrals arrive on DARA), so Referral.assessment becomes nullable and a check
  constraint holds that exactly one of the two is set (every existing referral has a checklist).

Going back refuses while any assessment made with another tool is recorded, rather than delete
them and the referrals resting on them (refuse_to_drop_other_tool_assessments).
"""

import uuid

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import marac.security.fields

TOOLS = [
    ("dara", "DARA"),
    ("dash-older-people", "DASH for older people"),
    ("dash-young-people", "Young people's DASH"),
    ("police-dash", "Police DASH"),
]
LEVELS = [("standard", "Standard"), ("medium", "Medium"), ("high", "High")]


class OtherToolAssessmentsHeld(RuntimeError):
    pass


def refuse_to_drop_other_tool_assessments(apps, schema_editor):
    """Going back before 0019 would drop every assessment made with another tool (the level the
    police gave, the assessor's rationale) with its table, and every referral resting on one
    could not exist under the old schema (every referral had a checklist). Deleting them here
    would take a high-risk victim's referral out of triage, or off a meeting's agenda, without a
    word to anyone, so nothing is deleted: with any such assessment recorded the migration stops
    (docs/deploy.md: restore the backup taken before the upgrade instead, ADR 0024)."""
    held = apps.get_model("referrals", "ToolAssessment").objects.count()
    if held:
        resting = apps.get_model("referrals", "Referral").objects.filter(assessment=None).count()
        raise OtherToolAssessmentsHeld(
            f"{held} assessment(s) made with other risk tools, and {resting} referral(s) resting on them, would be lost by "
            "migrating referrals back before 0019_risk_tools, so 0019 was not reversed (migrations after it already were). "
            "Restore the backup taken before the upgrade instead (docs/deploy.md)."
        )


def callouts_were_reported(apps, schema_editor):
    # A plain column on the live rows only: no encrypted value is read or rewritten.
    apps.get_model("referrals", "Incident").objects.filter(police_callout=True).update(reported_to_police=True)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0018_preferred_language_encrypted"),
        ("marac", "0009_area_settings_for_issue_18"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalincident",
            name="reported_to_police",
            field=models.BooleanField(default=False, help_text="It was reported to the police."),
        ),
        migrations.AddField(
            model_name="incident",
            name="reported_to_police",
            field=models.BooleanField(default=False, help_text="It was reported to the police."),
        ),
        migrations.RunPython(callouts_were_reported, migrations.RunPython.noop),
        migrations.CreateModel(
            name="HistoricalToolAssessment",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("uuid", models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ("row_version", models.PositiveIntegerField(default=0, editable=False)),
                ("history_client_ip", models.CharField(blank=True, max_length=45)),
                ("tool", models.CharField(choices=TOOLS, max_length=30)),
                ("tool_version", models.CharField(max_length=10)),
                ("level", models.CharField(choices=LEVELS, max_length=20)),
                ("assessed_on", models.DateField()),
                ("rationale", marac.security.fields.EncryptedTextField()),
                ("high_risk_levels", models.JSONField(default=list, help_text="The area's criteria when it was recorded (level codes).")),
                ("recorded_at", models.DateTimeField(blank=True, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                ("history_type", models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1)),
                (
                    "assessing_agency",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="marac.agency",
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="referrals.case",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical tool assessment",
                "verbose_name_plural": "historical tool assessments",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="ToolAssessment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("row_version", models.PositiveIntegerField(default=0, editable=False)),
                ("tool", models.CharField(choices=TOOLS, max_length=30)),
                ("tool_version", models.CharField(max_length=10)),
                ("level", models.CharField(choices=LEVELS, max_length=20)),
                ("assessed_on", models.DateField()),
                ("rationale", marac.security.fields.EncryptedTextField()),
                ("high_risk_levels", models.JSONField(default=list, help_text="The area's criteria when it was recorded (level codes).")),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "assessing_agency",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="marac.agency"),
                ),
                (
                    "case",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="tool_assessments", to="referrals.case"),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["case", "-assessed_on", "-id"], name="tool_assessment_case_latest")],
            },
        ),
        migrations.CreateModel(
            name="HistoricalAreaToolCriteria",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("tool", models.CharField(choices=TOOLS, max_length=30)),
                (
                    "high_risk_levels",
                    models.JSONField(default=list, help_text="The tool's level codes that count as visible high risk here."),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                ("history_type", models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1)),
                (
                    "area",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="marac.maracarea",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "historical referral criteria for another risk tool",
                "verbose_name_plural": "historical referral criteria for other risk tools",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="AreaToolCriteria",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tool", models.CharField(choices=TOOLS, max_length=30)),
                (
                    "high_risk_levels",
                    models.JSONField(default=list, help_text="The tool's level codes that count as visible high risk here."),
                ),
                (
                    "area",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="tool_criteria", to="marac.maracarea"),
                ),
            ],
            options={
                "verbose_name": "referral criteria for another risk tool",
                "verbose_name_plural": "referral criteria for other risk tools",
                "constraints": [models.UniqueConstraint(fields=("area", "tool"), name="one_tool_criteria_per_area")],
            },
        ),
        # A referral rests on a DASH checklist or on an assessment made with another tool: exactly one.
        migrations.AddField(
            model_name="historicalreferral",
            name="tool_assessment",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="referrals.toolassessment",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="tool_assessment",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="referrals.toolassessment"
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="assessment",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="referrals.riskassessment"
            ),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.UniqueConstraint(fields=("tool_assessment",), name="one_referral_per_tool_assessment"),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(assessment__isnull=False, tool_assessment__isnull=True)
                | models.Q(assessment__isnull=True, tool_assessment__isnull=False),
                name="referral_rests_on_one_assessment",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, refuse_to_drop_other_tool_assessments),
    ]
