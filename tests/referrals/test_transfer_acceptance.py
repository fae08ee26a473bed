"""Transfers the receiving area accepts (issue 17, ADR 0019): an offer moves nothing; the case,
and everyone's access to it, stays in the sending area until the receiving coordinator accepts."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import MaracArea, Membership, NoticeKind, Notification, Role
from referrals import services, transfers
from referrals.checklists import DASH_2009
from referrals.models import BreakGlassGrant, Case, CaseAllocation, CaseTransfer, EmergencyAccessRequest
from tests.conftest import make_person, sign_in_with_both_factors


def client_for(user) -> Client:
    return sign_in_with_both_factors(Client(), user)


@pytest.fixture
def receiving(other_area, police):
    return make_person("charnwood_coordinator", Role.COORDINATOR, police, other_area)


@pytest.fixture
def receiving_worker(other_area, idva):
    """Refers for the case's agency in the receiving area."""
    return make_person("charnwood_worker", Role.REFERRER, idva, other_area)


@pytest.fixture
def receiving_lead(other_area, idva):
    return make_person("charnwood_lead", Role.TEAM_LEAD, idva, other_area)


@pytest.fixture
def offer(case_a, coordinator, other_area, receiving, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(
            f"/cases/{case_a.reference}/transfer/", {"to_area": other_area.pk, "reason": "victim_moved"}
        )
    assert response.url == f"/cases/{case_a.reference}/"
    return CaseTransfer.objects.get()


def test_an_offer_moves_nothing_and_the_receiving_area_sees_only_that_it_exists(
    case_a, offer, coordinator, referrer, receiving, receiving_worker, area
):
    case_a.refresh_from_db()
    assert case_a.area == area and offer.status == CaseTransfer.Status.OFFERED
    assert client_for(coordinator).get(f"/cases/{case_a.reference}/").status_code == 200
    assert client_for(referrer).get(f"/cases/{case_a.reference}/").status_code == 200
    for outsider in (receiving, receiving_worker):
        assert client_for(outsider).get(f"/cases/{case_a.reference}/").status_code == 404
    listed = client_for(receiving).get("/cases/transfers/").content.decode()
    for shown in (case_a.reference, "North West Leicestershire", "The victim has moved to that area", "coordinator"):
        assert shown in listed
    for secret in ("Sarah Mitchell", "Shepshed", "Coalville", "07700"):
        assert secret not in listed
    decide_page = client_for(receiving).get(f"/cases/transfers/{offer.pk}/").content.decode()
    assert case_a.reference in decide_page and "Sarah Mitchell" not in decide_page
    notice = Notification.objects.get(user=receiving)
    assert notice.kind == NoticeKind.TRANSFER_REQUESTED and notice.url == "/cases/transfers/" and case_a.reference not in notice.subject_key
    assert not Notification.objects.filter(user=receiving_worker).exists()
    assert AccessEvent.objects.filter(user=coordinator, event="case_transfer_offered", case_reference=case_a.reference).exists()


def test_the_sending_coordinator_sees_the_pending_offer_on_the_case_page(case_a, offer, coordinator, referrer):
    assert "Offered to Charnwood" in client_for(coordinator).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Offered to Charnwood" not in client_for(referrer).get(f"/cases/{case_a.reference}/").content.decode()
    page = client_for(coordinator).get(f"/cases/{case_a.reference}/transfer/").content.decode()
    assert "Withdraw the offer" in page


def test_accepting_moves_the_case_and_ends_the_sending_areas_access(
    case_a, offer, coordinator, referrer, receiving, receiving_worker, receiving_lead, idva, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(receiving).post(f"/cases/transfers/{offer.pk}/", {"decision": "accept", "agency": idva.pk})
    assert response.url == f"/cases/{case_a.reference}/"
    case_a.refresh_from_db()
    assert case_a.area.short_code == "CHA"
    assert client_for(receiving).get(f"/cases/{case_a.reference}/").status_code == 200
    for gone in (coordinator, referrer, receiving_worker):  # the receiving worker is not on it yet
        assert client_for(gone).get(f"/cases/{case_a.reference}/").status_code == 404
    assert not CaseAllocation.objects.current().filter(case=case_a).exists()
    assert CaseAllocation.objects.get(case=case_a, user=referrer).ended_by == receiving  # kept: who was on it
    team = client_for(receiving_lead).get("/cases/team/").content.decode()
    assert case_a.reference in team and "Nobody allocated" in team
    offer.refresh_from_db()
    assert (offer.status, offer.decided_by) == (CaseTransfer.Status.ACCEPTED, receiving)
    assert Notification.objects.get(user=coordinator).kind == NoticeKind.TRANSFER_DECIDED
    assert AccessEvent.objects.filter(user=receiving, event="case_transferred", case_reference=case_a.reference).exists()
    client_for(receiving_lead).post(f"/cases/{case_a.reference}/team/", {"worker": receiving_worker.pk, "kind": "allocated"})
    assert client_for(receiving_worker).get(f"/cases/{case_a.reference}/").status_code == 200


def test_declining_keeps_the_case_where_it_is_and_needs_a_reason(case_a, offer, coordinator, referrer, receiving, area):
    client = client_for(receiving)
    response = client.post(f"/cases/transfers/{offer.pk}/", {"decision": "decline"})
    assert response.status_code == 200 and "Give the reason for declining" in response.content.decode()
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "decline", "reason": "She is at 4 Elm Road"}).status_code == 200
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "decline", "reason": "not_in_area"}).url == "/cases/transfers/"
    offer.refresh_from_db()
    case_a.refresh_from_db()
    assert (offer.status, offer.decline_reason, case_a.area) == (CaseTransfer.Status.DECLINED, "not_in_area", area)
    assert client_for(referrer).get(f"/cases/{case_a.reference}/").status_code == 200
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404
    assert "Declined" in client_for(coordinator).get("/cases/transfers/").content.decode()
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 404  # decided: not open any more


@pytest.mark.parametrize("who", ["third_area", "sender", "receiving_worker"])
def test_only_the_receiving_areas_coordinator_decides(request, who, case_a, offer, coordinator, police):
    if who == "third_area":
        third = MaracArea.objects.create(name="Melton", short_code="MEL")
        user = make_person("melton_coordinator", Role.COORDINATOR, police, third)
    else:
        user = coordinator if who == "sender" else request.getfixturevalue("receiving_worker")
    client = client_for(user)
    assert client.get(f"/cases/transfers/{offer.pk}/").status_code == 404
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 404
    assert AccessEvent.objects.filter(user=user, event="transfer_offer_denied", outcome="denied").count() == 2
    offer.refresh_from_db()
    assert offer.status == CaseTransfer.Status.OFFERED
    assert case_a.reference not in client.get("/cases/transfers/").content.decode() or who == "sender"


def test_the_sender_withdraws_the_offer_and_nobody_else_can(case_a, offer, coordinator, receiving):
    assert client_for(receiving).post(f"/cases/transfers/{offer.pk}/withdraw/").status_code == 404
    assert client_for(coordinator).post(f"/cases/transfers/{offer.pk}/withdraw/").url == "/cases/transfers/"
    offer.refresh_from_db()
    assert offer.status == CaseTransfer.Status.WITHDRAWN
    assert client_for(receiving).post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 404
    assert client_for(coordinator).get(f"/cases/transfers/{offer.pk}/withdraw/").status_code == 405


def test_one_open_offer_per_case(case_a, offer, coordinator, police):
    third = MaracArea.objects.create(name="Melton", short_code="MEL")
    response = client_for(coordinator).post(f"/cases/{case_a.reference}/transfer/", {"to_area": third.pk, "reason": "other"})
    assert response.status_code == 200 and "Withdraw the offer" in response.content.decode()
    assert CaseTransfer.objects.count() == 1
    with pytest.raises(Exception, match="already offered"):
        transfers.transfer_offer(case=case_a, to_area=third, reason="other", by=coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseTransfer.objects.create(case=case_a, from_area=case_a.area, to_area=third, transferred_by=coordinator, reason="other")


def test_the_receiving_coordinator_is_shown_the_offer_on_their_home_page(offer, receiving, coordinator):
    items = {item.label: item.count for role in client_for(receiving).get("/").context["work"] for item in role.items}
    assert items["Transfers offered to your area"] == 1
    sender_items = {item.label for role in client_for(coordinator).get("/").context["work"] for item in role.items}
    assert "Transfers offered to your area" not in sender_items


@pytest.mark.parametrize("persona", ["referrer", "chair", "auditor"])
def test_only_coordinators_have_a_transfers_page(request, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/cases/transfers/").status_code == 403
    assert AccessEvent.objects.filter(user=user, event="transfer_offers_denied", outcome="denied").exists()


def test_the_transfer_services_refuse_anyone_but_the_right_areas_coordinator(case_a, offer, coordinator, receiving, referrer, chair):
    from django.core.exceptions import ValidationError

    for who in (coordinator, referrer, chair):  # the sender cannot accept their own offer
        with pytest.raises(ValidationError, match="Only a coordinator of that area"):
            transfers.transfer_accept(offer=offer, agency=None, by=who)
        with pytest.raises(ValidationError, match="Only a coordinator of that area"):
            transfers.transfer_decline(offer=offer, reason="other", by=who)
    with pytest.raises(ValidationError, match="Only a coordinator of that area"):
        transfers.transfer_withdraw(offer=offer, by=receiving)
    offer.refresh_from_db()
    assert offer.status == CaseTransfer.Status.OFFERED


def test_an_offer_of_a_case_erased_since_is_no_longer_shown_or_accepted(case_a, offer, receiving):
    from referrals import services

    services.case_shred(case=case_a, by=None)
    client = client_for(receiving)
    assert case_a.reference not in client.get("/cases/transfers/").content.decode()
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 404


# The review's findings (ADR 0019): who holds a moved case, self-acceptance, emergency access,
# the log, and decisions that cannot be made twice.


def test_the_receiving_coordinator_chooses_the_agency_that_holds_the_case(
    case_a, offer, referrer, receiving, receiving_lead, idva, police, other_area, childrens_services
):
    police_worker = make_person("charnwood_police", Role.REFERRER, police, other_area)
    police_lead = make_person("charnwood_police_lead", Role.TEAM_LEAD, police, other_area)
    referral = _referred(case_a, referrer, idva)
    client = client_for(receiving)
    form = client.get(f"/cases/transfers/{offer.pk}/").context["form"]
    # Agencies with a team lead or referrer in the receiving area; the one that held it first.
    assert list(form.fields["agency"].queryset) == [police, idva] and form.fields["agency"].initial == idva.pk
    response = client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"})
    assert "Choose the agency in your area that holds the case" in response.content.decode()
    response = client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept", "agency": childrens_services.pk})
    assert "Choose an agency with a team lead or referrer in your area" in response.content.decode()
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept", "agency": police.pk}).status_code == 302
    offer.refresh_from_db()
    case_a.refresh_from_db()
    assert (offer.from_agency, offer.to_agency, case_a.referring_agency) == (idva, police, police)
    assert case_a.history.first().history_user == receiving  # the case's history names who moved it
    referral.refresh_from_db()
    assert referral.referring_agency == idva  # what was referred, by whom, stays as it was (NI 32)
    assert case_a.reference in client_for(police_lead).get("/cases/team/").content.decode()
    assert case_a.reference not in client_for(receiving_lead).get("/cases/team/").content.decode()
    client_for(police_lead).post(f"/cases/{case_a.reference}/team/", {"worker": police_worker.pk, "kind": "allocated"})
    assert client_for(police_worker).get(f"/cases/{case_a.reference}/").status_code == 200
    assert AccessEvent.objects.filter(event="case_transferred", purpose__endswith=f"held by agency {police.pk}").exists()


def test_with_no_agency_in_the_receiving_area_the_coordinator_holds_the_case(case_a, offer, receiving, idva):
    client = client_for(receiving)
    page = client.get(f"/cases/transfers/{offer.pk}/")
    assert "agency" not in page.context["form"].fields and "you hold it as its coordinator" in page.content.decode()
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 302
    offer.refresh_from_db()
    case_a.refresh_from_db()
    assert (offer.status, offer.to_agency, case_a.referring_agency) == (CaseTransfer.Status.ACCEPTED, None, idva)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 200


def test_a_coordinator_of_both_areas_cannot_accept_their_own_offer(case_a, coordinator, police, other_area):
    Membership.objects.create(user=coordinator, agency=police, area=other_area, role=Role.COORDINATOR)
    client = client_for(coordinator)
    client.post(f"/cases/{case_a.reference}/transfer/", {"to_area": other_area.pk, "reason": "victim_moved"})
    offer = CaseTransfer.objects.get()
    offered_to_me = client.get("/cases/transfers/").context["offered_to_you"]
    assert offer not in offered_to_me  # listed for the receiving area's other coordinators only
    assert client.get(f"/cases/transfers/{offer.pk}/").status_code == 403
    assert client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 403
    assert AccessEvent.objects.filter(user=coordinator, event="transfer_offer_denied", outcome="denied").count() == 2
    with pytest.raises(ValidationError, match="You offered this case"):
        transfers.transfer_accept(offer=offer, agency=None, by=coordinator)
    with pytest.raises(ValidationError, match="You offered this case"):
        transfers.transfer_decline(offer=offer, reason="other", by=coordinator)
    offer.refresh_from_db()
    assert offer.status == CaseTransfer.Status.OFFERED


def test_accepting_ends_emergency_access_and_lapses_asks_for_the_case(case_a, offer, receiving, area, police, idva, unrelated):
    officer = make_person("officer", Role.REFERRER, police, area)
    grant = BreakGlassGrant.objects.create(
        case=case_a,
        user=officer,
        reason="emergency",
        expires_at=timezone.now() + timedelta(hours=1),
        membership=officer.memberships.get(),
    )
    ask = EmergencyAccessRequest.objects.create(
        case=case_a,
        reference=case_a.reference,
        requester=unrelated,
        requester_membership=unrelated.memberships.get(),
        reason="emergency",
        route=EmergencyAccessRequest.Route.APPROVAL,
    )
    assert client_for(officer).get(f"/cases/{case_a.reference}/").status_code == 200
    transfers.transfer_accept(offer=offer, agency=idva, by=receiving)  # the asker refers for it there
    grant.refresh_from_db()
    ask.refresh_from_db()
    assert grant.ended_at is not None and ask.status == EmergencyAccessRequest.Status.LAPSED
    assert AccessEvent.objects.filter(user=officer, event="break_glass_ended", case_reference=case_a.reference).exists()
    assert AccessEvent.objects.filter(user=unrelated, event="break_glass_lapsed", purpose__contains=f"request {ask.pk}").exists()
    assert client_for(officer).get(f"/cases/{case_a.reference}/").status_code == 404


def test_seeing_an_offer_is_logged_and_acceptance_logs_who_lost_the_case(case_a, offer, receiving, referrer, idva, area):
    colleague = make_person("colleague", Role.REFERRER, idva, area)
    lead = make_person("lead", Role.TEAM_LEAD, idva, area)
    client_for(lead).post(f"/cases/{case_a.reference}/team/", {"worker": colleague.pk, "kind": "allocated"})
    client = client_for(receiving)
    client.get(f"/cases/transfers/{offer.pk}/")
    assert AccessEvent.objects.filter(user=receiving, event="transfer_offer_viewed", case_reference=case_a.reference).exists()
    client.post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"})
    ended = AccessEvent.objects.filter(user=receiving, event="case_allocations_ended", case_reference=case_a.reference)
    purposes = sorted(ended.values_list("purpose", flat=True))
    assert purposes == sorted(
        [f"transferred to CHA: referring of user {referrer.pk}", f"transferred to CHA: allocated of user {colleague.pk}"]
    )
    assert not any(name in " ".join(purposes) for name in ("referrer", "colleague"))


def test_an_offer_is_accepted_once_and_not_after_it_is_declined(case_a, offer, receiving, coordinator, other_area):
    transfers.transfer_accept(offer=offer, agency=None, by=receiving)
    with pytest.raises(ValidationError, match="already been accepted"):
        transfers.transfer_accept(offer=offer, agency=None, by=receiving)
    assert client_for(receiving).post(f"/cases/transfers/{offer.pk}/", {"decision": "accept"}).status_code == 404
    case = Case.objects.get(pk=case_a.pk)
    back = transfers.transfer_offer(case=case, to_area=case_a.area, reason="wrong_area", by=receiving)
    third = make_person("nwl_coordinator", Role.COORDINATOR, case_a.referring_agency, case_a.area)
    transfers.transfer_decline(offer=back, reason="other", by=third)
    with pytest.raises(ValidationError, match="already been accepted, declined"):
        transfers.transfer_accept(offer=back, agency=None, by=third)
    assert Case.objects.get(pk=case_a.pk).area == other_area


def _referred(case, by, agency):
    assessment = services.assessment_start(case=case, by=by, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=by)
    return services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=date.today())
