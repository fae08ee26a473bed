"""Reserved for issue 18 (retention and legal hold); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0022_children_and_encompass")]

    operations = []
