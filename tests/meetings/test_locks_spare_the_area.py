"""Changing a meeting or refreshing its packs locks the meeting's row, never the area row every
meeting and referral in the area shares (the deadlock found under load, issue 19)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from meetings import stored_packs
from meetings.services import _locked

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; CI runs this on PostgreSQL")


def _locking_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]


def test_a_meeting_change_locks_the_meeting_but_not_its_area(meeting):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        _locked(meeting, (meeting.status,), "")
    [locking] = _locking_statements(queries)
    assert 'FOR UPDATE OF "meetings_meeting"' in locking and "marac_maracarea" in locking


def test_refreshing_packs_locks_the_meeting_but_not_its_area(meeting):
    with CaptureQueriesContext(connection) as queries:
        stored_packs.refresh(meeting.pk)
    locking = _locking_statements(queries)[0]
    assert 'FOR UPDATE OF "meetings_meeting"' in locking and "marac_maracarea" in locking
