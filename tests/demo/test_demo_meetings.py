"""The demo's meetings, opened as each demo person would: every page answers, none fails."""

import time

import pytest
from django.core.management import call_command

from marac.models import User
from marac.reauth import REAUTHENTICATED_AT
from meetings.models import Meeting
from tests.conftest import sign_in_with_both_factors


@pytest.mark.parametrize("username", ["coordinator", "chair", "agency_rep", "referrer", "auditor"])
def test_every_demo_meeting_page_answers_for_every_demo_person(db, client, username):
    call_command("seed_demo", "--without-packs", stdout=open("/dev/null", "w"))
    user = User.objects.get(username=username)
    sign_in_with_both_factors(client, user)
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()
    session.save()
    paths = [
        "/meetings/",
        "/meetings/actions/",
        "/referrals/",
        "/cases/",
        "/reports/",
        "/reports/NWL/data-return/",
        "/reports/NWL/repeats/",
    ]
    for meeting in Meeting.objects.exclude(status=Meeting.Status.CLOSED):  # the closed ones are synthetic history
        paths += [f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/documents/agenda.pdf"]
        paths += [f"/meetings/{meeting.pk}/cases/{item.case.reference}/" for item in meeting.agenda_items.select_related("case")]
    for path in paths:
        status = client.get(path).status_code
        assert status in (200, 302, 403, 404), (path, status)
    if username in ("coordinator", "chair"):
        past = Meeting.objects.get(status=Meeting.Status.MINUTES_ISSUED)
        page = client.get(f"/meetings/{past.pk}/cases/{past.agenda_items.first().case.reference}/").content.decode()
        assert "Correction: the police call-outs were four, not three." in page
        assert client.get(f"/meetings/{past.pk}/documents/minutes.pdf").status_code == 200
