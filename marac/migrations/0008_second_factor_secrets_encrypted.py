# Placeholder reserved for: second-factor secrets (issue 17 item 5). Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("marac", "0007_case_team_lead")]

    operations: list = []
