# Placeholder reserved for: emergency access (issue 17 item 1). Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("marac", "0005_notifications")]

    operations: list = []
