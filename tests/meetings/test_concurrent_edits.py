"""Two people writing the same research return, minutes or invitations. Each form carries the
version it was opened at, signed for that one record: a stale save is merged (what the person
typed stays, what only the colleague changed is taken up, what both changed is marked with the
colleague's text shown), and a missing or forged version is refused with the text kept and
nothing saved."""

import pytest

from audit.models import AccessEvent
from marac.concurrency import OUT_OF_DATE
from meetings import services as meetings
from meetings.forms import InvitationsChangeForm, MinutesForm, ResearchForm, invitations_edits, minutes_edits, research_edits, shared_field
from meetings.models import CaseMinutes, Meeting, ResearchReturn
from tests.meetings.conftest import advance


def version_of(form) -> dict:
    """The hidden version a page was served with."""
    return {name: form.initial[name] for name in ("row_version", "version_signature")}


def as_shown(form) -> dict:
    """What saving the re-rendered form posts: every value of every field (ticked boxes included)."""
    return dict(form.data.lists())


def page_of(response) -> str:
    return response.content.decode()


# Versions that are not this form's: each is refused. `other` is a second case on the meeting.
FORGED = [
    pytest.param(lambda genuine, edits_for: {}, id="missing"),
    pytest.param(lambda genuine, edits_for: {"row_version": genuine["row_version"]}, id="unsigned"),
    pytest.param(lambda genuine, edits_for: {**genuine, "version_signature": "forged"}, id="forged"),
    pytest.param(lambda genuine, edits_for: {**genuine, "row_version": "7"}, id="renumbered"),
    pytest.param(lambda genuine, edits_for: edits_for("another record"), id="another-records"),
    pytest.param(lambda genuine, edits_for: edits_for("another kind of record"), id="another-kinds"),
    pytest.param(lambda genuine, edits_for: {"row_version": "9" * 5000, "version_signature": "é" * 5000}, id="oversize"),
]


# Research returns


def research_url(meeting, case) -> str:
    return f"/meetings/{meeting.pk}/cases/{case.reference}/research/"


def research_saved(meeting, case, agency, by, version: int, **text) -> ResearchReturn:
    """A save from elsewhere (a colleague at the same agency, another tab)."""
    text = {"facts": "", "opinion": "", "not_shared": "", **text}
    return meetings.research_save(meeting=meeting, case=case, agency=agency, by=by, expected_version=version, **text)


def test_research_saves_from_the_version_opened(sign_in_fully, rep_accepted, agency_rep, case_a):
    client = sign_in_fully(agency_rep)
    opened = client.get(research_url(rep_accepted, case_a)).context["form"]
    post = {"facts": "Two children on a plan", "opinion": "Escalating", "not_shared": "", **version_of(opened)}
    assert client.post(research_url(rep_accepted, case_a), post).status_code == 302
    record = ResearchReturn.objects.get()
    assert (record.facts, record.opinion, record.row_version) == ("Two children on a plan", "Escalating", 1)


def test_a_stale_research_save_keeps_the_text_typed_and_shows_the_colleagues(
    sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services
):
    research_saved(rep_accepted, case_a, childrens_services, agency_rep, 0, facts="First facts", opinion="First opinion")
    client = sign_in_fully(agency_rep)
    opened = client.get(research_url(rep_accepted, case_a)).context["form"]
    research_saved(
        rep_accepted,
        case_a,
        childrens_services,
        agency_rep,
        1,
        facts="Facts from a colleague",
        opinion="First opinion",
        not_shared="Not consented",
    )
    post = {"facts": "My facts", "opinion": "My opinion", "not_shared": "", **version_of(opened)}
    response = client.post(research_url(rep_accepted, case_a), post)
    form, page = response.context["form"], page_of(response)
    assert response.status_code == 200 and "Someone else saved this" in page
    assert form.data["facts"] == "My facts" and "Someone else changed this too" in " ".join(form.errors["facts"])
    assert "Facts from a colleague" in page  # shown beside theirs, to combine
    assert form.data["opinion"] == "My opinion" and "opinion" not in form.errors  # only they changed it
    assert form.data["not_shared"] == "Not consented"  # only the colleague changed it: taken up, not blanked
    assert ResearchReturn.objects.get().facts == "Facts from a colleague"
    assert client.post(research_url(rep_accepted, case_a), as_shown(form)).status_code == 302
    record = ResearchReturn.objects.get()
    assert (record.facts, record.opinion, record.not_shared) == ("My facts", "My opinion", "Not consented")


def test_research_started_on_a_blank_page_merges_with_a_colleagues_first_save(
    sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services
):
    client = sign_in_fully(agency_rep)
    opened = client.get(research_url(rep_accepted, case_a)).context["form"]
    research_saved(rep_accepted, case_a, childrens_services, agency_rep, 0, opinion="Their opinion")
    post = {"facts": "My facts", "opinion": "", "not_shared": "", **version_of(opened)}
    form = client.post(research_url(rep_accepted, case_a), post).context["form"]
    assert (form.data["facts"], form.data["opinion"]) == ("My facts", "Their opinion") and not form.errors.get("facts")
    assert ResearchReturn.objects.get().facts == ""


@pytest.mark.parametrize("saved_before", [True, False], ids=["over-a-return", "first-return"])
@pytest.mark.parametrize("version", FORGED)
def test_research_with_a_missing_or_forged_version_is_refused_with_the_text_kept(
    sign_in_fully, rep_accepted, agency_rep, case_a, case_b, childrens_services, police, saved_before, version
):
    if saved_before:
        research_saved(rep_accepted, case_a, childrens_services, agency_rep, 0, facts="Saved facts")
    client = sign_in_fully(agency_rep)
    genuine = version_of(client.get(research_url(rep_accepted, case_a)).context["form"])
    others = {
        "another record": ResearchForm.version_data(research_edits(rep_accepted, case_b, childrens_services), int(genuine["row_version"])),
        "another kind of record": MinutesForm.version_data(minutes_edits(rep_accepted, case_a), int(genuine["row_version"])),
    }
    post = {"facts": "Typed facts", "opinion": "Typed <script>opinion</script>", "not_shared": "", **version(genuine, others.get)}
    response = client.post(research_url(rep_accepted, case_a), post)
    page = page_of(response)
    assert response.status_code == 200 and "govuk-error-summary" in page and OUT_OF_DATE in page
    assert "Typed facts" in page and "Typed &lt;script&gt;opinion&lt;/script&gt;" in page
    records = ResearchReturn.objects.all()
    assert [(r.facts, r.row_version) for r in records] == ([("Saved facts", 1)] if saved_before else [])
    assert AccessEvent.objects.filter(event="research_returned").count() == (1 if saved_before else 0)


def test_after_a_refused_research_version_saving_again_is_deliberate(sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services):
    research_saved(rep_accepted, case_a, childrens_services, agency_rep, 0, facts="Saved facts")
    client = sign_in_fully(agency_rep)
    response = client.post(research_url(rep_accepted, case_a), {"facts": "Typed facts", "opinion": "", "not_shared": ""})
    form = response.context["form"]
    assert "Saved facts" in page_of(response)  # what is saved now is shown, as nothing says who changed what
    assert client.post(research_url(rep_accepted, case_a), as_shown(form)).status_code == 302
    assert ResearchReturn.objects.get().facts == "Typed facts"


# Minutes


def minutes_url(meeting, case) -> str:
    return f"/meetings/{meeting.pk}/cases/{case.reference}/minutes/"


@pytest.fixture
def started(rep_accepted, chair):
    return advance(meeting=rep_accepted, by=chair)


def minutes_saved(meeting, case, by, version: int, **fields) -> CaseMinutes:
    fields = {"information_shared": {}, "risks": "", "decisions": [], "decision_notes": "", **fields}
    return meetings.minutes_save(meeting=meeting, case=case, by=by, expected_version=version, **fields)


def test_minutes_save_from_the_version_opened(sign_in_fully, started, chair, case_a, police):
    client = sign_in_fully(chair)
    opened = client.get(minutes_url(started, case_a)).context["form"]
    post = {"risks": "Stalking at work", "decisions": ["mappa"], shared_field(police.name): "Three call-outs", **version_of(opened)}
    assert client.post(minutes_url(started, case_a), post).status_code == 302
    record = CaseMinutes.objects.get()
    assert (record.risks, record.decisions, record.information_shared) == ("Stalking at work", ["mappa"], {police.name: "Three call-outs"})


def test_stale_minutes_keep_the_text_typed_and_take_up_what_only_the_colleague_changed(
    sign_in_fully, started, chair, coordinator, case_a, police
):
    minutes_saved(started, case_a, chair, 0, risks="First risks", decisions=["mappa"], information_shared={police.name: "Three call-outs"})
    client = sign_in_fully(chair)
    opened = client.get(minutes_url(started, case_a)).context["form"]
    minutes_saved(
        started,
        case_a,
        coordinator,
        1,
        risks="Risks from the coordinator",
        decisions=["dvds", "mappa"],
        information_shared={police.name: "Three call-outs"},
    )
    post = {
        "risks": "Risks from the chair",
        "decisions": ["mappa"],
        shared_field(police.name): "Three call-outs and a warning",
        **version_of(opened),
    }
    response = client.post(minutes_url(started, case_a), post)
    form, page = response.context["form"], page_of(response)
    assert response.status_code == 200 and "Someone else saved this" in page
    assert form.data["risks"] == "Risks from the chair" and "risks" in form.errors and "Risks from the coordinator" in page
    assert sorted(form.data.getlist("decisions")) == ["dvds", "mappa"]  # only the coordinator changed them
    assert form.data[shared_field(police.name)] == "Three call-outs and a warning" and shared_field(police.name) not in form.errors
    assert CaseMinutes.objects.get().risks == "Risks from the coordinator"
    assert client.post(minutes_url(started, case_a), as_shown(form)).status_code == 302
    record = CaseMinutes.objects.get()
    assert (record.risks, record.decisions) == ("Risks from the chair", ["dvds", "mappa"])
    assert record.information_shared == {police.name: "Three call-outs and a warning"}


@pytest.mark.parametrize("saved_before", [True, False], ids=["over-minutes", "first-minutes"])
@pytest.mark.parametrize("version", FORGED)
def test_minutes_with_a_missing_or_forged_version_are_refused_with_the_text_kept(
    sign_in_fully, started, chair, case_a, case_b, childrens_services, saved_before, version
):
    if saved_before:
        minutes_saved(started, case_a, chair, 0, risks="Saved risks")
    client = sign_in_fully(chair)
    genuine = version_of(client.get(minutes_url(started, case_a)).context["form"])
    others = {
        "another record": MinutesForm.version_data(minutes_edits(started, case_b), int(genuine["row_version"])),
        "another kind of record": ResearchForm.version_data(
            research_edits(started, case_a, childrens_services), int(genuine["row_version"])
        ),
    }
    post = {"risks": "Typed risks", "decision_notes": "Typed notes", **version(genuine, others.get)}
    response = client.post(minutes_url(started, case_a), post)
    page = page_of(response)
    assert response.status_code == 200 and "govuk-error-summary" in page and OUT_OF_DATE in page
    assert "Typed risks" in page and "Typed notes" in page
    assert [(m.risks, m.row_version) for m in CaseMinutes.objects.all()] == ([("Saved risks", 1)] if saved_before else [])
    assert AccessEvent.objects.filter(event="minutes_recorded").count() == (1 if saved_before else 0)


# Invitations


def invitations_url(meeting) -> str:
    return f"/meetings/{meeting.pk}/invitations/"


def invited(meeting) -> set[int]:
    return set(Meeting.objects.get(pk=meeting.pk).invited_agencies.values_list("pk", flat=True))


def ticked(response) -> set[str]:
    return set(response.context["form"].data.getlist("agencies"))


def test_invitations_save_from_the_version_opened(sign_in_fully, issued, coordinator, police, idva):
    client = sign_in_fully(coordinator)
    opened = client.get(invitations_url(issued)).context["form"]
    assert client.post(invitations_url(issued), {"agencies": [police.pk, idva.pk], **version_of(opened)}).status_code == 302
    assert invited(issued) == {police.pk, idva.pk}


def test_ticks_left_as_opened_take_up_a_colleagues_withdrawal(sign_in_fully, issued, coordinator, police, idva, childrens_services):
    """A second click on Save must not invite again an agency a colleague has just withdrawn."""
    client = sign_in_fully(coordinator)
    opened = client.get(invitations_url(issued)).context["form"]
    meetings.meeting_invitations_change(meeting=issued, agencies=[police, idva], by=coordinator, expected_version=invited(issued))
    as_opened = {"agencies": [police.pk, idva.pk, childrens_services.pk], **version_of(opened)}
    response = client.post(invitations_url(issued), as_opened)
    assert response.status_code == 200 and "Someone else changed the invitations" in page_of(response)
    assert ticked(response) == {str(police.pk), str(idva.pk)}
    assert client.post(invitations_url(issued), as_shown(response.context["form"])).status_code == 302
    assert invited(issued) == {police.pk, idva.pk}


def test_ticks_both_people_changed_stay_as_ticked_and_show_who_is_invited_now(
    sign_in_fully, issued, coordinator, police, idva, childrens_services
):
    client = sign_in_fully(coordinator)
    opened = client.get(invitations_url(issued)).context["form"]
    meetings.meeting_invitations_change(meeting=issued, agencies=[police, idva], by=coordinator, expected_version=invited(issued))
    response = client.post(invitations_url(issued), {"agencies": [police.pk], **version_of(opened)})
    assert ticked(response) == {str(police.pk)} and "agencies" in response.context["form"].errors
    assert response.context["form"].saved_meanwhile == [("agencies", "Invited agencies", ", ".join(sorted([police.name, idva.name])))]
    assert invited(issued) == {police.pk, idva.pk}


@pytest.mark.parametrize("version", FORGED)
def test_invitations_with_a_missing_or_forged_version_are_refused_with_the_ticks_kept(
    sign_in_fully, issued, coordinator, case_a, police, idva, childrens_services, version
):
    client = sign_in_fully(coordinator)
    before = invited(issued)
    genuine = version_of(client.get(invitations_url(issued)).context["form"])
    others = {
        "another record": InvitationsChangeForm.version_data(invitations_edits(Meeting(pk=issued.pk + 1)), before),
        "another kind of record": MinutesForm.version_data(minutes_edits(issued, case_a), genuine["row_version"]),
    }
    response = client.post(invitations_url(issued), {"agencies": [police.pk], **version(genuine, others.get)})
    assert response.status_code == 200 and OUT_OF_DATE in page_of(response)
    assert ticked(response) == {str(police.pk)}
    assert invited(issued) == before
    assert not AccessEvent.objects.filter(event__in=["meeting_agency_invited", "meeting_agency_withdrawn"]).exists()


def test_research_saved_over_a_colleagues_later_save_is_refused_and_the_text_kept(
    sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services, client
):
    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="First",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=0,
    )
    sign_in_fully(agency_rep)
    url = f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/research/"
    opened = client.get(url).content.decode()
    assert 'name="row_version" value="1"' in opened
    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="A colleague's",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=1,
    )
    edits = research_edits(rep_accepted, case_a, childrens_services)
    opened_at = {version: ResearchForm.version_data(edits, version) for version in (1, 2)}
    response = client.post(url, {"facts": "Mine, typed meanwhile", "opinion": "", "not_shared": "", **opened_at[1]})
    page = response.content.decode()
    assert response.status_code == 200 and "Someone else saved this" in page and "Mine, typed meanwhile" in page
    assert rep_accepted.research_returns.get().facts == "A colleague's"
    assert client.post(url, {"facts": "Mine, typed meanwhile", "opinion": "", "not_shared": "", **opened_at[2]}).status_code == 302
    assert rep_accepted.research_returns.get().facts == "Mine, typed meanwhile"


def test_minutes_saved_over_a_later_save_are_refused(sign_in_fully, rep_accepted, chair, case_a):
    advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="First",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="Coordinator's",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=1,
    )
    response = sign_in_fully(chair).post(
        f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/minutes/",
        {"risks": "Chair's", **MinutesForm.version_data(minutes_edits(rep_accepted, case_a), 1)},
    )
    assert "Someone else saved this" in response.content.decode() and "Chair&#x27;s" in response.content.decode()
    assert rep_accepted.minutes.get().risks == "Coordinator's"
