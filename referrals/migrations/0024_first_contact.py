"""Reserved for issue 18 (first contact with the victim); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0023_retention_and_legal_hold")]

    operations = []
