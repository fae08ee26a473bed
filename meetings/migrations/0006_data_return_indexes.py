"""The data return from indexes (issue 18, ADR 0028): an index on meeting (area, starts_at), so
the reports read an area's meetings in a period from an index and then their agenda items by
meeting (the agenda's unique (meeting, case) index), instead of PostgreSQL reading every agenda
item and joining it to its meeting to count a few hundred."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("meetings", "0005_no_plain_text_about_cases"), ("referrals", "0022_children_and_encompass")]

    operations = [
        migrations.AddIndex(model_name="meeting", index=models.Index(fields=["area", "starts_at"], name="meeting_area_starts")),
    ]
