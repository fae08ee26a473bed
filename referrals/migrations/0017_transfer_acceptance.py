# Placeholder reserved for: transfers (issue 17 item 3). Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0016_case_teams")]

    operations: list = []
