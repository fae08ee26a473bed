"""Reserved for issue 18 (other risk tools and police-reported incidents); filled in by the part that owns it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0018_preferred_language_encrypted"), ("marac", "0009_area_settings_for_issue_18")]

    operations = []
