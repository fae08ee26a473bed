"""meetings 0005 and referrals 0018 encrypt what used to sit in plain columns: an action's owner,
a meeting's venue and observers, and the victim's preferred language, in the live tables and in
every history row, which still read afterwards (docs/adr/0021)."""

import json

from tests.scratch_db import manage, scratch_database

MARKERS = {"owner": "Owner Marker", "venue": "Refuge Lane Marker", "observers": "Observer Marker", "language": "Language Marker"}

# Under the old schema: plain values in every live and history row, as a database before the
# change would hold them.
PLAIN_VALUES = f"""
from django.db import connection
with connection.cursor() as cursor:
    for table in ("meetings_action", "meetings_historicalaction"):
        cursor.execute(f"UPDATE {{table}} SET owner = %s", ["{MARKERS["owner"]}"])
    for table in ("meetings_meeting", "meetings_historicalmeeting"):
        cursor.execute(f"UPDATE {{table}} SET venue = %s, observers = %s", ["{MARKERS["venue"]}", "{MARKERS["observers"]}"])
    for table in ("referrals_victim", "referrals_historicalvictim"):
        cursor.execute(f"UPDATE {{table}} SET language = %s", ["{MARKERS["language"]}"])
"""
# A database from before these migrations holds no assessment made with another risk tool (referrals
# 0019, ADR 0024), and going back past 0019 refuses while one exists: the demo's are taken out first.
WITHOUT_OTHER_TOOLS = """
from referrals.models import Referral, ToolAssessment
Referral.objects.filter(tool_assessment__isnull=False).delete()
ToolAssessment.objects.all().delete()
"""
READ_BACK = """
import json
from meetings.models import Action, Meeting
from referrals.models import Victim
meeting = Meeting.objects.filter(pk__in=Meeting.history.values("id")).order_by("pk").first()
seen = {
    "owner": sorted({a.owner for a in Action.objects.all()} | {h.owner for h in Action.history.all()}),
    "venue": sorted({m.venue for m in Meeting.objects.all()} | {h.venue for h in Meeting.history.all()}),
    "observers": sorted({m.observers for m in Meeting.objects.all()} | {h.observers for h in Meeting.history.all()}),
    "language": sorted({v.language for v in Victim.objects.all()} | {h.language for h in Victim.history.all()}),
    "versions": sorted(h.row_version for h in meeting.history.all()),
    "live_version": meeting.row_version,
}
meeting.venue = "Moved"
meeting.save()  # every stored value authenticates, so the row saves
seen["after_save"] = Meeting.objects.get(pk=meeting.pk).venue
print(json.dumps(seen))
"""


def test_owners_venues_observers_and_languages_are_encrypted_live_and_in_history():
    with scratch_database() as env:
        manage(env, "seed_demo", "--without-packs")
        manage(env, "shell", "-v0", "-c", WITHOUT_OTHER_TOOLS)
        manage(env, "migrate", "meetings", "0004_meeting_room", "-v0")
        manage(env, "migrate", "referrals", "0017_transfer_acceptance", "-v0")
        manage(env, "shell", "-v0", "-c", PLAIN_VALUES)
        manage(env, "migrate", "-v0")
        seen = json.loads(manage(env, "shell", "-v0", "-c", READ_BACK).stdout)
        dump = manage(env, "dumpdata", "meetings", "referrals").stdout
    for field, marker in MARKERS.items():
        assert seen[field] == [marker], field
        assert marker not in dump, field
    assert seen["versions"] == list(range(1, len(seen["versions"]) + 1)) and seen["live_version"] == seen["versions"][-1]
    assert seen["after_save"] == "Moved"
