"""The notice kinds and the team-lead role issue 17 adds: emergency access asked for, decided
and in use; transfers offered and decided; cases allocated."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marac", "0005_notifications"),
    ]

    operations = [
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
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalmembership",
            name="role",
            field=models.CharField(
                choices=[
                    ("referrer", "Referrer"),
                    ("coordinator", "MARAC coordinator"),
                    ("chair", "MARAC chair"),
                    ("agency_rep", "Agency representative"),
                    ("team_lead", "Team lead"),
                    ("auditor", "Auditor"),
                    ("admin", "Administrator"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("referrer", "Referrer"),
                    ("coordinator", "MARAC coordinator"),
                    ("chair", "MARAC chair"),
                    ("agency_rep", "Agency representative"),
                    ("team_lead", "Team lead"),
                    ("auditor", "Auditor"),
                    ("admin", "Administrator"),
                ],
                max_length=16,
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
                ],
                max_length=20,
            ),
        ),
    ]
