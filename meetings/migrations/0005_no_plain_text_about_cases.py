# Placeholder reserved for: nothing outside the policy (issue 17 item 4). Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("meetings", "0004_meeting_room")]

    operations: list = []
