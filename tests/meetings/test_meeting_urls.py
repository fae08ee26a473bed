"""Every meeting URL: classified as showing victim data or not; each that does writes an access
event naming the fields it revealed; and every URL with an object in it is a 404 to a signed-in
person with no part in the meeting (existence is not revealed), the auditor included."""

import time
from datetime import date, timedelta

import pytest
from django.urls import get_resolver

from audit.models import AccessEvent
from marac.reauth import REAUTHENTICATED_AT
from meetings import services as meetings
from tests.meetings.conftest import advance

# URL name -> (persona who may open it, path template).
SHOWS_VICTIM_DATA = {
    "meeting-detail": ("agency_rep", "/meetings/{m}/"),
    "meeting-case": ("agency_rep", "/meetings/{m}/cases/{ref}/"),
    "meeting-research": ("agency_rep", "/meetings/{m}/cases/{ref}/research/"),
    "meeting-minutes": ("chair", "/meetings/{m}/cases/{ref}/minutes/"),
    "action-tracker": ("agency_rep", "/meetings/actions/"),
    "action-update": ("agency_rep", "/meetings/actions/{action}/"),
    "meeting-pdf": ("agency_rep", "/meetings/{m}/documents/pack.pdf"),
}
# Pages that show no victim data (references, people who work here, empty forms), or only act.
NO_VICTIM_DATA = {
    "meeting-list",
    "meeting-new",
    "meeting-invitations",
    "agenda-build",
    "agenda-add",
    "agenda-remove",
    "agenda-move",
    "agenda-issue",
    "meeting-confidentiality",
    "meeting-register",
    "meeting-advance",
    "minutes-issue",
    "meeting-action-new",
    "meeting-addendum",
    "meeting-packs-retry",
}
WITH_OBJECT = {
    "meeting-detail": "/meetings/{m}/",
    "meeting-invitations": "/meetings/{m}/invitations/",
    "agenda-build": "/meetings/{m}/agenda/build/",
    "agenda-add": "/meetings/{m}/agenda/add/",
    "agenda-remove": "/meetings/{m}/agenda/{item}/remove/",
    "agenda-move": "/meetings/{m}/agenda/{item}/move/",
    "agenda-issue": "/meetings/{m}/agenda/issue/",
    "meeting-confidentiality": "/meetings/{m}/confidentiality/",
    "meeting-register": "/meetings/{m}/register/",
    "meeting-advance": "/meetings/{m}/advance/",
    "minutes-issue": "/meetings/{m}/minutes/issue/",
    "meeting-pdf": "/meetings/{m}/documents/pack.pdf",
    "meeting-case": "/meetings/{m}/cases/{ref}/",
    "meeting-research": "/meetings/{m}/cases/{ref}/research/",
    "meeting-minutes": "/meetings/{m}/cases/{ref}/minutes/",
    "meeting-action-new": "/meetings/{m}/cases/{ref}/actions/new/",
    "meeting-addendum": "/meetings/{m}/cases/{ref}/addendum/",
    "action-update": "/meetings/actions/{action}/",
    "meeting-packs-retry": "/meetings/{m}/documents/retry/",
}
POST_ONLY = {"agenda-build", "agenda-move", "agenda-issue", "meeting-advance", "minutes-issue", "meeting-packs-retry"}
GET_ONLY = {"meeting-detail", "meeting-pdf", "meeting-case"}


def meeting_url_names() -> set[str]:
    def walk(resolver):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                yield from walk(entry)
            elif entry.name and entry.callback.__module__.startswith("meetings."):
                yield entry.name

    return set(walk(get_resolver()))


def test_every_meeting_url_is_classified():
    assert meeting_url_names() == set(SHOWS_VICTIM_DATA) | NO_VICTIM_DATA
    assert {name for name in meeting_url_names() if name not in ("meeting-list", "meeting-new", "action-tracker")} == set(WITH_OBJECT)


@pytest.fixture
def objects(rep_accepted, agency_rep, chair, case_a, childrens_services):
    meeting = rep_accepted
    meetings.research_save(
        meeting=meeting, case=case_a, agency=childrens_services, facts="F", opinion="O", not_shared="N", by=agency_rep, expected_version=0
    )
    advance(meeting=meeting, by=chair)
    meetings.minutes_save(
        meeting=meeting, case=case_a, information_shared={}, risks="R", decisions=[], decision_notes="", by=chair, expected_version=0
    )
    action = meetings.action_add(
        meeting=meeting,
        case=case_a,
        agency=childrens_services,
        owner_role="duty_officer",
        description="D",
        due_on=date.today() + timedelta(days=3),
        by=chair,
    )
    advance(meeting=meeting, by=chair)
    meetings.minutes_issue(meeting=meeting, by=chair)  # so representatives see the minutes and actions too
    return {"m": meeting.pk, "ref": case_a.reference, "action": action.pk, "item": meeting.agenda_items.get(case=case_a).pk}


@pytest.mark.parametrize("name", sorted(SHOWS_VICTIM_DATA))
def test_each_meeting_page_with_victim_data_writes_an_access_event(request, sign_in_fully, client, objects, name):
    persona, path = SHOWS_VICTIM_DATA[name]
    user = request.getfixturevalue(persona)
    sign_in_fully(user)
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()  # as if a code had just been entered, for the PDF
    session.save()
    before = AccessEvent.objects.filter(user=user).count()
    response = client.get(path.format(**objects))
    assert response.status_code == 200
    reads = AccessEvent.objects.filter(user=user).order_by("sequence")[before:]
    assert any(e.case_reference == objects["ref"] and e.fields for e in reads), name


@pytest.mark.parametrize("name", sorted(WITH_OBJECT))
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", ["unrelated", "auditor", "referrer"])
def test_a_person_with_no_part_in_the_meeting_gets_404_everywhere(request, sign_in_fully, objects, name, method, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    response = getattr(client, method)(WITH_OBJECT[name].format(**objects))
    refused_method = name in (POST_ONLY if method == "get" else GET_ONLY)
    assert response.status_code == (405 if refused_method else 404), (name, response.status_code)


def test_a_representative_of_an_agency_not_invited_gets_404(sign_in_fully, objects, area):
    from marac.models import Agency, AgencyKind, Role
    from tests.conftest import make_person

    housing = Agency.objects.create(name="Housing", kind=AgencyKind.HOUSING)
    outsider = make_person("housing_rep", Role.AGENCY_REP, housing, area)
    client = sign_in_fully(outsider)
    for name, path in WITH_OBJECT.items():
        if name != "action-update":
            assert client.get(path.format(**objects)).status_code in (404, 405), name
    assert client.get(f"/meetings/actions/{objects['action']}/").status_code == 404
    assert AccessEvent.objects.filter(user=outsider, event="meeting_access_denied").exists()


@pytest.mark.parametrize("persona", ["agency_rep", "chair", "referrer"])
def test_only_the_coordinator_changes_the_agenda(request, sign_in_fully, persona, listed):
    client = sign_in_fully(request.getfixturevalue(persona))
    expected = 404 if persona in ("agency_rep", "referrer") else 403  # a scheduled meeting is invisible to representatives
    assert client.post(f"/meetings/{listed.pk}/agenda/issue/").status_code == expected
    assert client.get("/meetings/new/").status_code == 403


def test_post_only_urls_refuse_get(sign_in_fully, coordinator, listed):
    client = sign_in_fully(coordinator)
    for path in ("agenda/build/", "agenda/issue/", "advance/", "minutes/issue/"):
        assert client.get(f"/meetings/{listed.pk}/{path}").status_code == 405
