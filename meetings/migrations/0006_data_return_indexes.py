"""Reserved for issue 18 (the data return from indexes); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("meetings", "0005_no_plain_text_about_cases"), ("referrals", "0022_children_and_encompass")]

    operations = []
