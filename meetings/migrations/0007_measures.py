"""Reserved for issue 18 (the measures); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("meetings", "0006_data_return_indexes"), ("referrals", "0024_first_contact")]

    operations = []
