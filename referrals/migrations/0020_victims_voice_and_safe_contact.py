"""The victim's voice and safe-contact alerts (issue 18 items 3 and 4, ADR 0025).

Each referral keeps the victim's voice as the referral form asks it: whether she knows about the
referral (a plain yes / no / not known code, on the no-plain-text test's allow-list: agencies must
know it before they contact her) and, encrypted under the case's key, why not, whom she fears, who
is and is not safe to talk to, and her views for the meeting. Existing referrals have none of it
(shown as "Not recorded").

A CaseAlert says that a safe-contact detail of a case changed (a code, who and when; never the
value), and CaseAlertSeen records who acknowledged it, so it stops showing to them.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import marac.security.fields

AWARE = [("yes", "Yes"), ("no", "No"), ("not_known", "Not known")]


def _voice_fields():
    return [
        (
            "victim_aware",
            models.CharField(blank=True, choices=AWARE, max_length=10, verbose_name="Is the victim aware of the referral?"),
        ),
        ("victim_unaware_reason", marac.security.fields.EncryptedTextField(blank=True, help_text="If not, why not.")),
        ("feared_people", marac.security.fields.EncryptedTextField(blank=True, help_text="Whom the victim is afraid of.")),
        ("safe_to_talk_to", marac.security.fields.EncryptedTextField(blank=True, help_text="Who it is safe to talk to about her.")),
        (
            "not_safe_to_talk_to",
            marac.security.fields.EncryptedTextField(blank=True, help_text="Who it is not safe to talk to, and why."),
        ),
        ("victim_views", marac.security.fields.EncryptedTextField(blank=True, help_text="What she wants the meeting to know.")),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0019_risk_tools"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(
            migrations.AddField(model_name=model, name=name, field=field)
            for model in ("referral", "historicalreferral")
            for name, field in _voice_fields()
        ),
        migrations.CreateModel(
            name="CaseAlert",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "what",
                    models.CharField(
                        choices=[
                            ("safe_address", "The safe address"),
                            ("safe_phone", "The safe phone number"),
                            ("safe_times", "The safe times to make contact"),
                            ("do_not_contact_via", "The ways never to make contact"),
                        ],
                        max_length=20,
                    ),
                ),
                ("raised_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "case",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="alerts", to="referrals.case"),
                ),
                (
                    "raised_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
            options={"ordering": ["-raised_at", "-pk"]},
        ),
        migrations.CreateModel(
            name="CaseAlertSeen",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "alert",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="seen_by", to="referrals.casealert"),
                ),
                (
                    "user",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
        migrations.AddIndex(model_name="casealert", index=models.Index(fields=["case", "-raised_at"], name="casealert_case_newest")),
        migrations.AddConstraint(
            model_name="casealertseen",
            constraint=models.UniqueConstraint(fields=("alert", "user"), name="one_acknowledgement_per_person"),
        ),
    ]
