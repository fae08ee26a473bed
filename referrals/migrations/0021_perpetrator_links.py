"""Reserved for issue 18 (serial perpetrators); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0020_victims_voice_and_safe_contact")]

    operations = []
