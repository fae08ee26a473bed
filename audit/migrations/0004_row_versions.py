# Placeholder reserved for: row rollback detection (issue 17 item 6). Its owner fills in the operations (and may add
# dependencies on other apps' migrations); nobody else edits this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_database_links_the_chain")]

    operations: list = []
