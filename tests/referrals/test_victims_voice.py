"""The victim's voice (issue 18 item 3, ADR 0025): captured with each referral, encrypted under the
case's key, and shown on the case page, in the meeting room and in the meeting pack to exactly
the readers the field policy names, every field shown logged. The expected table is written out
here, not read from marac/security/policy.py, so a change to the policy must change this test."""

import secrets
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from audit.models import AccessEvent
from marac.models import Role
from marac.security.policy import POLICY
from marac.viewer import Viewer
from referrals import emergency, services, voice
from referrals.checklists import DASH_2009
from referrals.models import Referral
from tests.conftest import grant_hearing, make_person, poppler
from tests.meetings.conftest import issued_with_statement_accepted

MARKERS = {
    "victim_unaware_reason": "Unaware Reason Marker",
    "feared_people": "Feared People Marker",
    "safe_to_talk_to": "Safe To Talk Marker",
    "not_safe_to_talk_to": "Not Safe Marker",
    "victim_views": "Her Views Marker",
}
VOICE = {"victim_aware": "no", **MARKERS}
ALL = set(MARKERS) | {"victim_aware"}
MEETING = {"victim_aware", "feared_people", "not_safe_to_talk_to", "victim_views"}
EXPECTED_READ = {
    "referrer": ALL,
    "coordinator": ALL,
    "chair": ALL,
    "meeting_rep": MEETING,
    "auditor": set(),
    # Emergency access reads none of it (review of ADR 0025): not even who is NOT safe to talk to,
    # a contact instruction whose "why" says what she disclosed and often where those people live.
    "break_glass": set(),
    "break_glass_own_area": set(),  # self-service, no approver: identity only (ADR 0020)
    "break_glass_extended": set(),
}
PERSONA = {
    "referrer": "referrer",
    "coordinator": "coordinator",
    "chair": "chair",
    "meeting_rep": "agency_rep",
    "auditor": "auditor",
    "break_glass": "unrelated",
    "break_glass_extended": "unrelated",
    "break_glass_own_area": "colleague_in_the_area",
}


@pytest.fixture
def colleague_in_the_area(area, police):
    """Refers for another agency in the case's area: no tie to the case, so emergency access opens at once."""
    return make_person("colleague_in_the_area", Role.REFERRER, police, area)


def refer(case, referrer, agency, *, heard=VOICE, consent="given"):
    assessment = services.assessment_start(case=case, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent=consent, today=date.today(), voice=heard)


@pytest.fixture
def referral(case_a, referrer, idva):
    return refer(case_a, referrer, idva)


@pytest.fixture
def reader(request, sign_in_fully, case_a, referral):
    def as_role(role):
        user = request.getfixturevalue(PERSONA[role])
        if role == "meeting_rep":
            grant_hearing(user, case_a)
        if role.startswith("break_glass"):
            asked = emergency.emergency_access_ask(viewer=Viewer.of(user), reference=case_a.reference, reason="emergency")
            if asked.opened is None:  # another area's case: its coordinator approves
                approver = Viewer.of(request.getfixturevalue("coordinator"))
                extension = "visit_now" if role == "break_glass_extended" else ""
                emergency.emergency_request_decide(ask=asked.ask, approve=True, extension_reason=extension, viewer=approver)
        return user, sign_in_fully(user)

    return as_role


def test_the_policy_covers_every_voice_field():
    assert ALL <= set(POLICY["referrals.referral"])


def test_the_voice_is_stored_encrypted(referral):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM referrals_referral WHERE id = %s", [referral.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert not any(marker in row for marker in MARKERS.values())
    stored = Referral.objects.select_related("case__data_key").get(pk=referral.pk)
    assert stored.feared_people == "Feared People Marker" and stored.victim_aware == "no"


@pytest.mark.parametrize("role", EXPECTED_READ)
def test_the_case_page_shows_each_voice_field_to_exactly_its_readers(reader, case_a, role):
    user, client = reader(role)
    html = client.get(f"/cases/{case_a.reference}/").content.decode()
    for field, marker in MARKERS.items():
        assert (marker in html) == (field in EXPECTED_READ[role]), (role, field)
    event = AccessEvent.objects.filter(user=user, case_reference=case_a.reference, purpose="view case").latest("pk")
    logged = {f.removeprefix("referral.") for f in event.fields if f.removeprefix("referral.") in ALL}
    assert logged == EXPECTED_READ[role]


def test_someone_with_no_tie_to_the_case_gets_a_logged_404(sign_in_fully, unrelated, case_a, referral):
    response = sign_in_fully(unrelated).get(f"/cases/{case_a.reference}/")
    assert response.status_code == 404
    assert AccessEvent.objects.filter(user=unrelated, case_reference=case_a.reference, outcome="denied").exists()


@pytest.fixture
def hearing(case_a, referral, coordinator, chair, police, idva, childrens_services, agency_rep):
    """The referral accepted and on an issued agenda; the representative accepted its statement."""
    services.referral_decide(referral=referral, status="accepted", reason="", by=coordinator)
    return issued_with_statement_accepted(
        area=case_a.area,
        chair=chair,
        coordinator=coordinator,
        agencies=[police, idva, childrens_services],
        rep=agency_rep,
        rep_agency=childrens_services,
    )


MEETING_ROLES = {"coordinator": "coordinator", "chair": "chair", "meeting_rep": "agency_rep"}


@pytest.mark.parametrize("role", MEETING_ROLES)
def test_the_meeting_room_shows_the_voice_to_the_chair_and_the_policy_decides_the_rest(request, hearing, case_a, sign_in_fully, role):
    user = request.getfixturevalue(MEETING_ROLES[role])
    html = sign_in_fully(user).get(f"/meetings/{hearing.pk}/cases/{case_a.reference}/").content.decode()
    assert "The victim&#x27;s voice" in html or "The victim's voice" in html
    for field, marker in MARKERS.items():
        assert (marker in html) == (field in EXPECTED_READ[role]), (role, field)
    event = AccessEvent.objects.filter(user=user, case_reference=case_a.reference, purpose__startswith="case at meeting").latest("pk")
    assert {f.removeprefix("referral.") for f in event.fields} & ALL == EXPECTED_READ[role]


def test_a_representative_without_the_statement_sees_nothing_of_the_voice(hearing, case_a, sign_in_fully, area, childrens_services):
    other_rep = make_person("other_rep", Role.AGENCY_REP, childrens_services, area)
    response = sign_in_fully(other_rep).get(f"/meetings/{hearing.pk}/cases/{case_a.reference}/")
    assert response.status_code in (403, 404)
    assert not any(marker in response.content.decode() for marker in MARKERS.values())


@pytest.mark.parametrize("username,role", [("coordinator", "coordinator"), ("chair", "chair"), ("agency_rep", "meeting_rep")])
def test_the_pack_prints_the_voice_by_the_policy_and_never_who_is_safe_to_talk_to(hearing, tmp_path, username, role):
    out = tmp_path / "pack.pdf"
    call_command("render_pack", meeting=hearing.pk, username=username, kind="pack", output=str(out))
    text = " ".join(poppler("pdftotext", str(out), "-").split())  # lines joined as they wrap
    for field, marker in MARKERS.items():
        expected = field in EXPECTED_READ[role] and field != "safe_to_talk_to"
        assert (marker in text) == expected, (role, field)
    assert "Not safe to talk to" in text


def test_the_referral_form_takes_the_voice_and_keeps_what_was_typed_when_refused(case_a, referrer, sign_in_fully):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    client = sign_in_fully(referrer)
    url = f"/cases/{case_a.reference}/checklists/{assessment.pk}/refer/"
    refused = client.post(url, {"consent": "given", "victim_aware": "no", "feared_people": "<script>alert(1)</script>"})
    html = refused.content.decode()
    assert refused.status_code == 200 and voice.UNAWARE_REASON_NEEDED.replace("'", "&#x27;") in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert not Referral.objects.filter(case=case_a).exists()
    oversize = client.post(url, {"consent": "given", "victim_views": "x" * 2001})
    assert oversize.status_code == 200 and not Referral.objects.filter(case=case_a).exists()
    done = client.post(url, {"consent": "given", **VOICE})
    assert done.status_code == 302
    stored = Referral.objects.select_related("case__data_key").get(case=case_a)
    assert stored.not_safe_to_talk_to == "Not Safe Marker" and stored.victim_unaware_reason == "Unaware Reason Marker"
    event = AccessEvent.objects.filter(event="referral_submitted", case_reference=case_a.reference).latest("pk")
    assert set(event.fields) == ALL and not any(m in str(event.fields) for m in MARKERS.values())


def test_a_reason_is_not_kept_when_she_knows_of_the_referral(case_a, referrer, idva):
    referral = refer(case_a, referrer, idva, heard={**VOICE, "victim_aware": "yes"})
    referral = Referral.objects.select_related("case__data_key").get(pk=referral.pk)
    assert referral.victim_unaware_reason == "" and referral.feared_people == "Feared People Marker"


def test_the_service_refuses_an_unaware_victim_without_a_reason(case_a, referrer, idva):
    with pytest.raises(ValidationError):
        refer(case_a, referrer, idva, heard={"victim_aware": "no"})
    with pytest.raises(ValidationError):
        refer(case_a, referrer, idva, heard={"victim_aware": "maybe"})


@pytest.fixture
def waiting(referral, coordinator):
    return services.referral_decide(referral=referral, status="more_info", reason="Please say more", by=coordinator)


def test_the_referrer_changes_the_voice_while_the_referral_waits_for_more_information(waiting, case_a, referrer, sign_in_fully):
    client = sign_in_fully(referrer)
    page = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert f"/referrals/{waiting.pk}/voice/" in page
    form = client.get(f"/referrals/{waiting.pk}/voice/")
    assert form.status_code == 200 and "Feared People Marker" in form.content.decode()
    opened = form.context["form"].initial["opened"]
    assert not any(marker in opened for marker in MARKERS.values())
    changed = client.post(f"/referrals/{waiting.pk}/voice/", {**VOICE, "victim_views": "Changed Views", "opened": opened})
    assert changed.status_code == 302
    stored = Referral.objects.select_related("case__data_key").get(pk=waiting.pk)
    assert stored.victim_views == "Changed Views"
    event = AccessEvent.objects.filter(event="victim_voice_updated", case_reference=case_a.reference).get()
    assert event.fields == ["victim_views"]


def test_a_form_opened_before_a_colleagues_save_cannot_put_back_what_they_changed(waiting, case_a, referrer, coordinator, sign_in_fully):
    """Two case owners at once: the coordinator adds a name to who is not safe to talk to while the
    referrer's form is open; the referrer's save is refused, keeping what they typed, and only a
    second, deliberate save goes through."""
    client = sign_in_fully(referrer)
    opened = client.get(f"/referrals/{waiting.pk}/voice/").context["form"].initial["opened"]
    voice.referral_voice_update(referral=waiting, voice={**VOICE, "not_safe_to_talk_to": "Not Safe Marker, and Lee"}, by=coordinator)
    url = f"/referrals/{waiting.pk}/voice/"
    refused = client.post(url, {**VOICE, "victim_views": "Referrer Views", "opened": opened})
    assert refused.status_code == 200 and "Referrer Views" in refused.content.decode()
    stored = Referral.objects.select_related("case__data_key").get(pk=waiting.pk)
    assert stored.not_safe_to_talk_to == "Not Safe Marker, and Lee" and stored.victim_views == "Her Views Marker"
    assert client.post(url, {**VOICE, "victim_views": "No Version"}).status_code == 200  # a form without one saves nothing
    assert Referral.objects.select_related("case__data_key").get(pk=waiting.pk).victim_views == "Her Views Marker"
    again = refused.context["form"].data["opened"]
    assert client.post(url, {**VOICE, "not_safe_to_talk_to": "Not Safe Marker, and Lee", "opened": again}).status_code == 302


def test_a_form_opened_just_before_a_secret_key_rotation_still_saves(waiting, referrer, settings):
    opened = voice.voice_opened(waiting)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(64), [settings.SECRET_KEY]
    saved = voice.referral_voice_update(referral=waiting, voice={**VOICE, "victim_views": "Saved Views"}, by=referrer, opened=opened)
    assert saved.victim_views == "Saved Views"
    opened_then = voice.voice_opened(saved)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(64), []  # no fallback: the mark no longer matches
    with pytest.raises(voice.VoiceChangedMeanwhile):
        voice.referral_voice_update(referral=waiting, voice=VOICE, by=referrer, opened=opened_then)


def test_a_refused_change_keeps_what_was_typed(waiting, referrer, sign_in_fully):
    response = sign_in_fully(referrer).post(f"/referrals/{waiting.pk}/voice/", {"victim_aware": "no", "victim_views": "Typed Views"})
    assert response.status_code == 200 and "Typed Views" in response.content.decode()


@pytest.mark.parametrize("persona,status", [("chair", 403), ("agency_rep", 404), ("auditor", 403), ("unrelated", 404)])
def test_others_cannot_change_the_voice_and_the_refusal_is_logged(request, waiting, case_a, sign_in_fully, persona, status):
    user = request.getfixturevalue(persona)
    response = sign_in_fully(user).post(f"/referrals/{waiting.pk}/voice/", {**VOICE, "victim_views": "Hostile"})
    assert response.status_code == status
    assert AccessEvent.objects.filter(user=user, outcome="denied").exists()
    stored = Referral.objects.select_related("case__data_key").get(pk=waiting.pk)
    assert stored.victim_views == "Her Views Marker"


def test_once_with_the_coordinator_the_voice_cannot_be_changed(referral, referrer, sign_in_fully):
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/voice/", {**VOICE, "victim_views": "Late"})
    assert response.status_code == 403
    with pytest.raises(ValidationError):
        voice.referral_voice_update(referral=referral, voice=VOICE, by=referrer)


def test_the_demo_has_a_voice_filled_in_and_a_recent_safe_address_change_with_an_open_alert(db):
    from referrals.models import CaseAlert, Victim

    call_command("seed_demo", "--without-packs")
    heard = [r for r in Referral.objects.select_related("case__data_key") if r.feared_people]
    assert len(heard) == 1 and heard[0].victim_aware == "yes" and heard[0].not_safe_to_talk_to
    alert = CaseAlert.objects.select_related("case").get()
    assert alert.what == "safe_address" and alert.case != heard[0].case
    moved = Victim.objects.select_related("case__data_key").get(case=alert.case)
    assert moved.safe_address.startswith("Flat 6, 22 Forest Road")
    call_command("seed_demo", "--without-packs")  # safe to run again: nothing raised twice
    assert CaseAlert.objects.count() == 1


def test_the_coordinator_deciding_on_the_referral_sees_the_voice_logged(referral, case_a, coordinator, sign_in_fully):
    html = sign_in_fully(coordinator).get(f"/referrals/{referral.pk}/decision/").content.decode()
    assert all(marker in html for marker in MARKERS.values())
    event = AccessEvent.objects.filter(user=coordinator, case_reference=case_a.reference, purpose="triage").latest("pk")
    assert {f"referral.{name}" for name in ALL} <= set(event.fields)
