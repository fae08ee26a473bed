"""Areas choose what potential escalation counts, when a re-assessment is due and how long a
closed case is kept (issue 18).

Areas that exist already counted police call-outs, so they keep doing so: their referral criteria
must not change under them on upgrade. New areas start as SafeLives words it, incidents reported
to the police. No retention period is assumed (DESIGN 2.6)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marac", "0008_second_factor_secrets_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmaracarea",
            name="escalation_basis",
            field=models.CharField(
                choices=[("incidents_reported", "Incidents reported to the police"), ("police_callouts", "Police call-outs")],
                default="police_callouts",
                help_text="What potential escalation counts: SafeLives words it as incidents reported to the police.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="historicalmaracarea",
            name="reassessment_weeks",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text="Weeks after a risk assessment when an open case is due a re-assessment.",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(52)],
            ),
        ),
        migrations.AddField(
            model_name="historicalmaracarea",
            name="retention_months",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Months after a case closes before it is due for erasure. No national period exists: until the area sets one, nothing is due and its coordinator is told it is missing.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1200)],
            ),
        ),
        migrations.AddField(
            model_name="maracarea",
            name="escalation_basis",
            field=models.CharField(
                choices=[("incidents_reported", "Incidents reported to the police"), ("police_callouts", "Police call-outs")],
                default="police_callouts",
                help_text="What potential escalation counts: SafeLives words it as incidents reported to the police.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="maracarea",
            name="reassessment_weeks",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text="Weeks after a risk assessment when an open case is due a re-assessment.",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(52)],
            ),
        ),
        migrations.AddField(
            model_name="maracarea",
            name="retention_months",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Months after a case closes before it is due for erasure. No national period exists: until the area sets one, nothing is due and its coordinator is told it is missing.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1200)],
            ),
        ),
        migrations.AlterField(
            model_name="emailoptout",
            name="kind",
            field=models.CharField(
                choices=[
                    ("more_info", "The coordinator asks for more information about your referral"),
                    ("referral_decided", "Your referral is accepted or declined"),
                    ("agenda_issued", "A meeting's agenda is issued"),
                    ("pack_ready", "Your meeting pack is ready"),
                    ("research_due", "Research for a meeting is due"),
                    ("action_assigned", "An action is given to your agency"),
                    ("action_due", "An action is due in 3 days"),
                    ("action_overdue", "An action is overdue"),
                    ("minutes_issued", "A meeting's minutes are issued"),
                    ("emergency_requested", "Someone asks for emergency access to a case in your area"),
                    ("emergency_decided", "Your request for emergency access is decided"),
                    ("emergency_used", "Emergency access to a case is in use"),
                    ("transfer_requested", "A case is offered to your area"),
                    ("transfer_decided", "A case you offered to another area is accepted or declined"),
                    ("case_allocated", "A case is allocated to you"),
                    ("safe_contact_changed", "The safe contact details on a case you work on changed"),
                    ("erasure_to_confirm", "A case's erasure waits for a second person to confirm it"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalmaracarea",
            name="escalation_callouts",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="How many in 12 months (of what the escalation basis counts) make a case potential escalation.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="escalation count",
            ),
        ),
        migrations.AlterField(
            model_name="maracarea",
            name="escalation_callouts",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="How many in 12 months (of what the escalation basis counts) make a case potential escalation.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="escalation count",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("more_info", "The coordinator asks for more information about your referral"),
                    ("referral_decided", "Your referral is accepted or declined"),
                    ("agenda_issued", "A meeting's agenda is issued"),
                    ("pack_ready", "Your meeting pack is ready"),
                    ("research_due", "Research for a meeting is due"),
                    ("action_assigned", "An action is given to your agency"),
                    ("action_due", "An action is due in 3 days"),
                    ("action_overdue", "An action is overdue"),
                    ("minutes_issued", "A meeting's minutes are issued"),
                    ("emergency_requested", "Someone asks for emergency access to a case in your area"),
                    ("emergency_decided", "Your request for emergency access is decided"),
                    ("emergency_used", "Emergency access to a case is in use"),
                    ("transfer_requested", "A case is offered to your area"),
                    ("transfer_decided", "A case you offered to another area is accepted or declined"),
                    ("case_allocated", "A case is allocated to you"),
                    ("safe_contact_changed", "The safe contact details on a case you work on changed"),
                    ("erasure_to_confirm", "A case's erasure waits for a second person to confirm it"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalmaracarea",
            name="escalation_basis",
            field=models.CharField(
                choices=[("incidents_reported", "Incidents reported to the police"), ("police_callouts", "Police call-outs")],
                default="incidents_reported",
                help_text="What potential escalation counts: SafeLives words it as incidents reported to the police.",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="maracarea",
            name="escalation_basis",
            field=models.CharField(
                choices=[("incidents_reported", "Incidents reported to the police"), ("police_callouts", "Police call-outs")],
                default="incidents_reported",
                help_text="What potential escalation counts: SafeLives words it as incidents reported to the police.",
                max_length=20,
            ),
        ),
    ]
