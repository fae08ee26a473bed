"""Safe-contact guardrails (issue 18 item 4, ADR 0025): the instructions stand beside the contact
details for those who may read them, a warning for those who may not; a change of the safe address
or phone raises an alert for everyone related, notifies them, is logged and makes stored packs
stale, and none of it ever carries the new value."""

import logging
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import NoticeKind, Notification
from marac.notices import render_notice
from marac.viewer import Viewer
from meetings import stored_packs
from meetings.access import meeting_access_for
from meetings.packs import pack_for
from referrals import alerts, emergency, services
from referrals.checklists import DASH_2009
from referrals.models import CaseAlert, CaseAlertSeen, Victim
from tests.conftest import poppler
from tests.meetings.conftest import issued_with_statement_accepted

NEW_SAFE_ADDRESS = "Refuge Marker, 1 Hidden Lane"
OLD_SAFE_ADDRESS = "Flat 2, 9 Ashby Road, Shepshed"
WARNING = "Safe-contact instructions may be recorded for this victim that you cannot see"


def fresh(case) -> Victim:
    return Victim.objects.select_related("case__data_key").get(case=case)


def change_safe_address(case, by, value=NEW_SAFE_ADDRESS):
    victim = fresh(case)
    return services.victim_update(victim=victim, changes={"safe_address": value}, expected_version=victim.row_version, by=by)


def open_emergency_access(user, case, approver, *, extended=False):
    ask = emergency.emergency_access_ask(viewer=Viewer.of(user), reference=case.reference, reason="emergency").ask
    extension = "visit_now" if extended else ""
    emergency.emergency_request_decide(ask=ask, approve=True, extension_reason=extension, viewer=Viewer.of(approver))


@pytest.fixture
def hearing(case_a, referrer, idva, coordinator, chair, police, childrens_services, agency_rep):
    """Case A referred, accepted and on an issued agenda whose statement the representative accepted."""
    assessment = services.assessment_start(case=case_a, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date.today())
    services.referral_decide(referral=referral, status="accepted", reason="", by=coordinator)
    return issued_with_statement_accepted(
        area=case_a.area,
        chair=chair,
        coordinator=coordinator,
        agencies=[police, idva, childrens_services],
        rep=agency_rep,
        rep_agency=childrens_services,
    )


# --- The instructions beside the contact details ------------------------------------------------


def test_the_case_owner_sees_the_instructions_beside_the_contact_details(sign_in_fully, referrer, case_a):
    html = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/").content.decode()
    address, safe = html.index("14 Belvoir Road"), html.index(OLD_SAFE_ADDRESS)
    assert 0 < safe - address < 3000 and WARNING not in html  # in the same list, right after it


def test_the_chair_sees_a_warning_beside_the_address_and_none_of_the_instructions(sign_in_fully, chair, case_a):
    html = sign_in_fully(chair).get(f"/cases/{case_a.reference}/").content.decode()
    assert "14 Belvoir Road" in html and WARNING in html
    assert OLD_SAFE_ADDRESS not in html and "07700 900456" not in html


def test_extended_emergency_access_sees_the_address_with_the_warning(sign_in_fully, unrelated, coordinator, case_a):
    open_emergency_access(unrelated, case_a, coordinator, extended=True)
    html = sign_in_fully(unrelated).get(f"/cases/{case_a.reference}/").content.decode()
    assert "14 Belvoir Road" in html and WARNING in html and OLD_SAFE_ADDRESS not in html


def test_a_reader_of_no_contact_details_gets_no_warning(sign_in_fully, unrelated, coordinator, case_a):
    open_emergency_access(unrelated, case_a, coordinator)
    html = sign_in_fully(unrelated).get(f"/cases/{case_a.reference}/").content.decode()
    assert "14 Belvoir Road" not in html and WARNING not in html


@pytest.mark.parametrize("persona,address,instructions,warning", [
    ("coordinator", True, True, False),
    ("chair", True, False, True),
    ("agency_rep", False, False, False),
])  # fmt: skip
def test_the_meeting_room_puts_the_instructions_or_the_warning_beside_the_address(
    request, hearing, case_a, sign_in_fully, persona, address, instructions, warning
):
    user = request.getfixturevalue(persona)
    html = sign_in_fully(user).get(f"/meetings/{hearing.pk}/cases/{case_a.reference}/").content.decode()
    assert ("14 Belvoir Road" in html, OLD_SAFE_ADDRESS in html, WARNING in html) == (address, instructions, warning)
    event = AccessEvent.objects.filter(user=user, case_reference=case_a.reference, purpose__startswith="case at meeting").latest("pk")
    assert ("safe_address" in event.fields) == instructions


@pytest.mark.parametrize("username,said", [
    ("coordinator", "Safe-contact instructions are never printed"),
    ("chair", WARNING),
    ("agency_rep", None),
])  # fmt: skip
def test_a_pack_warns_beside_the_address_and_never_prints_the_instructions(hearing, tmp_path, username, said):
    out = tmp_path / "pack.pdf"
    call_command("render_pack", meeting=hearing.pk, username=username, kind="pack", output=str(out))
    text = " ".join(poppler("pdftotext", str(out), "-").split())
    assert OLD_SAFE_ADDRESS not in text and "07700 900456" not in text
    if said is None:
        assert "Before any contact" not in text
    else:
        assert said in text


# --- A change of safe contact details -------------------------------------------------------------


@pytest.fixture
def everyone(hearing, referrer, coordinator, chair, agency_rep, auditor, unrelated, case_a):
    """Emergency access held by a worker from another area, approved by the coordinator."""
    open_emergency_access(unrelated, case_a, coordinator)
    return {"referrer": referrer, "coordinator": coordinator, "chair": chair, "agency_rep": agency_rep, "holder": unrelated}


def test_a_change_alerts_and_tells_everyone_related_and_no_one_else(everyone, case_a, area, idva, auditor):
    from referrals.models import CaseAllocation
    from tests.conftest import make_person

    colleague = make_person("colleague", "referrer", idva, area)  # same agency, not on the case
    change_safe_address(case_a, everyone["coordinator"])
    alert = CaseAlert.objects.get(case=case_a)
    assert alert.what == "safe_address" and alert.raised_by == everyone["coordinator"]
    told = set(Notification.objects.filter(kind=NoticeKind.SAFE_CONTACT_CHANGED).values_list("user__username", flat=True))
    assert told == {"referrer", "chair", "agency_rep", "unrelated"}  # not the coordinator who made the change
    assert CaseAllocation.objects.filter(case=case_a, user=everyone["referrer"]).exists()
    assert not Notification.objects.filter(user__in=[auditor, colleague], kind=NoticeKind.SAFE_CONTACT_CHANGED).exists()


def told_of_the_change() -> set[str]:
    return set(Notification.objects.filter(kind=NoticeKind.SAFE_CONTACT_CHANGED).values_list("user__username", flat=True))


@pytest.mark.parametrize("lost", ["membership", "invitation"])
def test_a_representative_who_lost_the_tie_is_not_told(everyone, hearing, case_a, childrens_services, other_area, idva, lost):
    """An attendance alone is not a tie: a representative whose membership ended (who still holds
    another role elsewhere, so the notice's own role check passes) or whose agency is no longer
    invited cannot open the case, so is not told that it has a safe address that changed."""
    from marac.models import Membership, Role

    rep = everyone["agency_rep"]
    if lost == "membership":
        Membership.objects.filter(user=rep, role=Role.AGENCY_REP).update(is_active=False)
        Membership.objects.create(user=rep, agency=idva, area=other_area, role=Role.REFERRER)
    else:
        hearing.invited_agencies.remove(childrens_services)
    change_safe_address(case_a, everyone["coordinator"])
    assert told_of_the_change() == {"referrer", "chair", "unrelated"}


def test_an_emergency_grant_whose_membership_ended_is_not_told(everyone, case_a, area, police):
    """A grant counts only while the membership it was asked under is active (ADR 0020)."""
    from marac.models import Membership, Role

    holder = everyone["holder"]
    Membership.objects.filter(user=holder).update(is_active=False)
    Membership.objects.create(user=holder, agency=police, area=area, role=Role.AGENCY_REP)  # in the case's area, no tie to it
    change_safe_address(case_a, everyone["coordinator"])
    assert told_of_the_change() == {"referrer", "chair", "agency_rep"}


def test_nothing_about_the_change_carries_the_new_value(everyone, case_a, caplog, mailoutbox, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        change_safe_address(case_a, everyone["coordinator"])
    notices = list(Notification.objects.filter(kind=NoticeKind.SAFE_CONTACT_CHANGED).values_list("subject_key", "url"))
    assert notices and all(case_a.reference not in f"{key} {url}" for key, url in notices)
    event = AccessEvent.objects.get(event="safe_contact_changed", case_reference=case_a.reference)
    assert event.fields == ["safe_address"]
    email = render_notice(NoticeKind.SAFE_CONTACT_CHANGED)
    sent = " ".join(f"{m.subject} {m.body}" for m in mailoutbox)
    for text in (str(event.fields), email, sent, caplog.text, str(notices), str(CaseAlert.objects.values().get())):
        assert "Refuge Marker" not in text and "Hidden Lane" not in text and case_a.reference not in email


def test_someone_who_cannot_read_the_address_sees_the_alert_but_not_the_value(everyone, case_a, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    for persona in ("chair", "agency_rep", "holder"):
        html = sign_in_fully(everyone[persona]).get(f"/cases/{case_a.reference}/").content.decode()
        assert "The safe address changed on" in html, persona
        assert "Refuge Marker" not in html and OLD_SAFE_ADDRESS not in html, persona
    owner = sign_in_fully(everyone["referrer"]).get(f"/cases/{case_a.reference}/").content.decode()
    assert "The safe address changed on" in owner and NEW_SAFE_ADDRESS in owner  # the current details, below it


def test_the_meeting_room_shows_the_change_without_the_value(everyone, hearing, case_a, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    html = sign_in_fully(everyone["agency_rep"]).get(f"/meetings/{hearing.pk}/cases/{case_a.reference}/").content.decode()
    assert "The safe address changed on" in html and "Refuge Marker" not in html


def test_an_auditor_and_an_unrelated_person_see_no_alert(everyone, case_a, auditor, sign_in_fully, other_area, idva):
    from tests.conftest import make_person

    change_safe_address(case_a, everyone["coordinator"])
    audited = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/")
    assert audited.status_code == 200 and "The safe address changed" not in audited.content.decode()
    stranger = make_person("stranger", "referrer", idva, other_area)
    refused = sign_in_fully(stranger).get(f"/cases/{case_a.reference}/")
    assert refused.status_code == 404 and "safe address" not in refused.content.decode().lower()


def shown_alert_ids(client, case) -> list[str]:
    """The alert ids the case page's "I have read this" form posts back."""
    return [str(alert.pk) for alert in client.get(f"/cases/{case.reference}/").context["alerts"]]


def test_acknowledging_hides_the_alert_for_that_person_only(everyone, case_a, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    chair = sign_in_fully(everyone["chair"])
    shown = shown_alert_ids(chair, case_a)
    assert chair.post(f"/cases/{case_a.reference}/alerts/acknowledge/", {"alert": shown}).status_code == 302
    assert "The safe address changed" not in chair.get(f"/cases/{case_a.reference}/").content.decode()
    assert CaseAlertSeen.objects.filter(user=everyone["chair"]).count() == 1
    assert AccessEvent.objects.filter(event="case_alert_acknowledged", user=everyone["chair"], fields=["safe_address"]).exists()
    referrer = sign_in_fully(everyone["referrer"])
    assert "The safe address changed" in referrer.get(f"/cases/{case_a.reference}/").content.decode()


def test_a_change_made_after_the_page_was_shown_is_not_acknowledged_unseen(everyone, case_a, sign_in_fully):
    """Two changes close together: "I have read this" on the page showing the first must not
    acknowledge the second, which the person has not seen (the new phone, say)."""
    change_safe_address(case_a, everyone["coordinator"])
    chair = sign_in_fully(everyone["chair"])
    shown = shown_alert_ids(chair, case_a)
    victim = fresh(case_a)
    services.victim_update(
        victim=victim, changes={"safe_phone": "07700 900111"}, expected_version=victim.row_version, by=everyone["coordinator"]
    )
    chair.post(f"/cases/{case_a.reference}/alerts/acknowledge/", {"alert": shown})
    page = chair.get(f"/cases/{case_a.reference}/").content.decode()
    assert "The safe phone number changed" in page and "The safe address changed" not in page
    assert list(CaseAlertSeen.objects.values_list("alert__what", flat=True)) == ["safe_address"]


def test_another_cases_alert_id_acknowledges_nothing(everyone, case_a, case_b, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    change_safe_address(case_b, everyone["coordinator"])
    other = CaseAlert.objects.get(case=case_b)
    chair = sign_in_fully(everyone["chair"])
    chair.post(f"/cases/{case_a.reference}/alerts/acknowledge/", {"alert": [str(other.pk), "x", "-1", "9" * 40]})
    assert not CaseAlertSeen.objects.exists()


def test_acknowledging_is_post_only_and_refused_to_others(everyone, case_a, auditor, sign_in_fully, other_area, idva):
    from tests.conftest import make_person

    change_safe_address(case_a, everyone["coordinator"])
    url = f"/cases/{case_a.reference}/alerts/acknowledge/"
    assert sign_in_fully(everyone["chair"]).get(url).status_code == 405
    assert sign_in_fully(auditor).post(url).status_code == 403
    assert AccessEvent.objects.filter(user=auditor, event="case_alert_denied", outcome="denied").exists()
    stranger = make_person("stranger", "referrer", idva, other_area)
    assert sign_in_fully(stranger).post(url).status_code == 404
    assert AccessEvent.objects.filter(user=stranger, outcome="denied", case_reference=case_a.reference).exists()
    assert not CaseAlertSeen.objects.exists()


def test_the_alert_stops_showing_after_its_days(everyone, case_a, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    CaseAlert.objects.update(raised_at=timezone.now() - timedelta(days=alerts.SHOWN_FOR_DAYS, minutes=1))
    assert "The safe address changed" not in sign_in_fully(everyone["chair"]).get(f"/cases/{case_a.reference}/").content.decode()


def test_a_save_that_changes_no_safe_detail_raises_nothing(everyone, case_a):
    change_safe_address(case_a, everyone["coordinator"], value=OLD_SAFE_ADDRESS)
    victim = fresh(case_a)
    services.victim_update(victim=victim, changes={"phone": "07700 900999"}, expected_version=victim.row_version, by=everyone["referrer"])
    assert not CaseAlert.objects.exists() and not Notification.objects.filter(kind=NoticeKind.SAFE_CONTACT_CHANGED).exists()
    assert not AccessEvent.objects.filter(event="safe_contact_changed").exists()


def test_a_change_through_the_form_raises_one_alert_per_field(everyone, case_a, sign_in_fully):
    client = sign_in_fully(everyone["referrer"])
    opened = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    data = {name: value for name, value in opened.initial.items() if isinstance(value, str)}
    data.update({"date_of_birth_day": "14", "date_of_birth_month": "3", "date_of_birth_year": "1989"})
    data.update({"safe_phone": "07700 900000", "safe_times": "Weekday mornings"})
    assert client.post(f"/cases/{case_a.reference}/victim/", data).status_code == 302
    assert sorted(CaseAlert.objects.values_list("what", flat=True)) == ["safe_phone", "safe_times"]


def test_the_notifications_link_leads_to_the_case_only_for_those_related(everyone, case_a, sign_in_fully, other_area, idva):
    from tests.conftest import make_person

    change_safe_address(case_a, everyone["coordinator"])
    alert = CaseAlert.objects.get()
    assert sign_in_fully(everyone["chair"]).get(f"/cases/alerts/{alert.pk}/").url == f"/cases/{case_a.reference}/"
    stranger = make_person("stranger", "referrer", idva, other_area)
    assert sign_in_fully(stranger).get(f"/cases/alerts/{alert.pk}/").status_code == 404
    assert sign_in_fully(stranger).get("/cases/alerts/999999/").status_code == 404
    assert AccessEvent.objects.filter(user=stranger, outcome="denied").count() == 2


def test_after_a_transfer_only_the_receiving_area_is_told_and_follows_the_link(
    hearing, case_a, coordinator, agency_rep, other_area, idva, sign_in_fully
):
    """The sending area's meeting still lists the case, but its representative and coordinator have
    lost it: the representative is not told, and the old alert's link is a logged 404 for them."""
    from referrals import transfers
    from tests.conftest import make_person

    change_safe_address(case_a, coordinator, value="Before The Move")
    before = CaseAlert.objects.get()
    receiving = make_person("coordinator_b", "coordinator", idva, other_area)
    make_person("chair_b", "chair", idva, other_area)
    make_person("worker_b", "referrer", idva, other_area)  # so idva can hold it there
    offer = transfers.transfer_offer(case=case_a, to_area=other_area, reason="other", by=coordinator)
    transfers.transfer_accept(offer=offer, agency=idva, by=receiving)
    Notification.objects.all().delete()
    change_safe_address(case_a, receiving)
    assert told_of_the_change() == {"chair_b"}
    assert sign_in_fully(coordinator).get(f"/cases/alerts/{before.pk}/").status_code == 404
    assert AccessEvent.objects.filter(user=coordinator, outcome="denied", case_reference=case_a.reference).exists()
    assert sign_in_fully(receiving).get(f"/cases/alerts/{before.pk}/").status_code == 302


def test_after_erasure_the_link_shows_the_erased_case_and_nothing_can_be_acknowledged(everyone, case_a, sign_in_fully):
    change_safe_address(case_a, everyone["coordinator"])
    alert = CaseAlert.objects.get()
    services.case_shred(case=case_a, by=None)
    chair = sign_in_fully(everyone["chair"])
    page = chair.get(f"/cases/alerts/{alert.pk}/", follow=True).content.decode()
    assert "erased" in page and "The safe address changed" not in page
    assert chair.post(f"/cases/{case_a.reference}/alerts/acknowledge/").status_code == 403
    assert not CaseAlertSeen.objects.exists()


@pytest.mark.parametrize("persona", ["chair", "coordinator", "agency_rep"])
def test_a_change_makes_every_stored_pack_showing_the_case_stale(everyone, hearing, case_a, persona):
    """Even the pack of someone who may not read the safe address changes (it prints the alert),
    so it is rendered again rather than served as it was."""
    stored_packs.refresh(hearing.pk)
    assert stored_packs.refresh(hearing.pk) == []  # nothing changed: nothing to render
    access = meeting_access_for(Viewer.of(everyone[persona]), hearing.pk)
    before = pack_for(access, "pack").fingerprint
    change_safe_address(case_a, everyone["coordinator"])
    access = meeting_access_for(Viewer.of(everyone[persona]), hearing.pk)
    assert pack_for(access, "pack").fingerprint != before
    queued = stored_packs.refresh(hearing.pk)
    assert hearing.stored_packs.filter(pk__in=queued, recipient=everyone[persona], kind="pack").exists()
