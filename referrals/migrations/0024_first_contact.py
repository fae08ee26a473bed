"""First contact with the victim (issue 18, ADR 0028): the date an IDVA first reached her, who
recorded it and when, on the referral and its history. A plain date, not encrypted: it says when,
never who she is or how she was reached, and the measures aggregate it in SQL (time from referral
to first contact)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0023_retention_and_legal_hold"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.AddField(
            model_name="historicalreferral",
            name="first_contact_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(model_name="historicalreferral", name="first_contact_on", field=models.DateField(blank=True, null=True)),
        migrations.AddField(
            model_name="historicalreferral", name="first_contact_recorded_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="referral",
            name="first_contact_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(model_name="referral", name="first_contact_on", field=models.DateField(blank=True, null=True)),
        migrations.AddField(model_name="referral", name="first_contact_recorded_at", field=models.DateTimeField(blank=True, null=True)),
    ]
