# Placeholder reserved for: case teams (issue 17 item 2); the team-lead role itself is in 0006. Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("marac", "0006_emergency_access_notices")]

    operations: list = []
