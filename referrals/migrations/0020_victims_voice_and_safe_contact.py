"""Reserved for issue 18 (the victim's voice and safe-contact alerts); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0019_risk_tools")]

    operations = []
