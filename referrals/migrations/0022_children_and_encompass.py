"""Operation Encompass on each child in a household (issue 18): when the school's safeguarding
lead was told (a plain date and time, so the data return can count it) and who told them
(encrypted under the case's key). Existing rows have neither."""

import marac.security.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0021_perpetrator_links")]

    operations = [
        migrations.AddField(
            model_name="historicalhouseholdmember",
            name="encompass_notified_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the school's safeguarding lead was told.",
                null=True,
                verbose_name="school told (Operation Encompass)",
            ),
        ),
        migrations.AddField(
            model_name="historicalhouseholdmember",
            name="encompass_notified_by",
            field=marac.security.fields.EncryptedTextField(
                blank=True, help_text="Who told the school's safeguarding lead, and from which agency."
            ),
        ),
        migrations.AddField(
            model_name="householdmember",
            name="encompass_notified_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the school's safeguarding lead was told.",
                null=True,
                verbose_name="school told (Operation Encompass)",
            ),
        ),
        migrations.AddField(
            model_name="householdmember",
            name="encompass_notified_by",
            field=marac.security.fields.EncryptedTextField(
                blank=True, help_text="Who told the school's safeguarding lead, and from which agency."
            ),
        ),
    ]
