from datetime import date

import pytest

from audit.models import AccessEvent
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import CaseTransfer, Referral
from tests.conftest import sign_in_with_both_factors


@pytest.fixture
def referral(case_a, referrer, idva):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))


def test_the_coordinator_asks_for_more_information_and_the_referrer_sends_it_back(sign_in_fully, coordinator, referrer, referral, client):
    from django.test import Client

    boss = sign_in_with_both_factors(Client(), coordinator)
    response = boss.post(f"/referrals/{referral.pk}/decision/", {"decision": "more_info", "reason": ""})
    assert "Say what you need to know" in response.content.decode()
    boss.post(f"/referrals/{referral.pk}/decision/", {"decision": "more_info", "reason": "Are there children in the house?"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.MORE_INFO
    card = f"on {referral.case.reference}</span>"  # the card's "Decide" link
    assert card not in boss.get("/referrals/triage/").content.decode()

    worker = sign_in_fully(referrer)
    mine = worker.get("/referrals/").content.decode()
    assert "Are there children in the house?" in mine
    assert "referral.decision_reason" in AccessEvent.objects.get(user=referrer, purpose="my referrals").fields
    assert worker.post(f"/referrals/{referral.pk}/resubmit/").url == "/referrals/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert card in boss.get("/referrals/triage/").content.decode()


def test_only_the_referrer_sends_a_referral_back_and_only_when_asked(sign_in_fully, chair, unrelated, referrer, referral):
    assert sign_in_fully(chair).post(f"/referrals/{referral.pk}/resubmit/").status_code == 403
    assert sign_in_fully(unrelated).post(f"/referrals/{referral.pk}/resubmit/").status_code == 404
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/resubmit/", follow=True)
    assert "Only a referral waiting for more information" in response.content.decode()
    assert sign_in_fully(referrer).get(f"/referrals/{referral.pk}/resubmit/").status_code == 405


def test_a_coordinator_transfers_a_case_with_its_history(sign_in_fully, coordinator, case_a, referral, other_area, police):
    from marac.models import Role
    from tests.conftest import make_person

    charnwood = make_person("charnwood_coordinator", Role.COORDINATOR, police, other_area)
    client = sign_in_fully(coordinator)
    response = client.post(f"/cases/{case_a.reference}/transfer/", {"to_area": other_area.pk, "reason": "victim_moved"})
    assert response.url == f"/cases/{case_a.reference}/"  # offered: it stays here until accepted
    transfer = CaseTransfer.objects.get()
    assert transfer.from_area.short_code == "NWL" and transfer.to_area == other_area
    assert transfer.status == CaseTransfer.Status.OFFERED
    their_client = sign_in_fully(charnwood)
    assert their_client.post(f"/cases/transfers/{transfer.pk}/", {"decision": "accept"}).url == f"/cases/{case_a.reference}/"
    client = sign_in_fully(coordinator)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404  # access followed the area
    page = sign_in_fully(charnwood).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Sarah Mitchell" in page and "Transferred from North West Leicestershire to Charnwood" in page
    assert "the victim has moved to that area" in page
    assert case_a.referrals.get() == referral


@pytest.mark.parametrize(
    "data,message",
    [
        ({"to_area": "", "reason": "other"}, "Choose the MARAC area"),
        ({"to_area": "999", "reason": "other"}, "Select a valid choice"),
        ({"to_area": "SELF", "reason": "other"}, "Select a valid choice"),
        ({"to_area": "OTHER", "reason": ""}, "Give the reason"),
        ({"to_area": "OTHER", "reason": "She is at 4 Elm Road"}, "Select a valid choice"),
    ],
)
def test_transfers_refuse_bad_input(sign_in_fully, coordinator, case_a, other_area, data, message):
    data = {**data, "to_area": {"SELF": case_a.area.pk, "OTHER": other_area.pk}.get(data["to_area"], data["to_area"])}
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/transfer/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not CaseTransfer.objects.exists()


@pytest.mark.parametrize("persona,status", [("referrer", 403), ("chair", 403), ("unrelated", 404)])
def test_only_the_areas_coordinator_transfers(request, sign_in_fully, case_a, persona, status):
    assert sign_in_fully(request.getfixturevalue(persona)).get(f"/cases/{case_a.reference}/transfer/").status_code == status


def test_the_referrer_withdraws_an_undecided_referral_and_it_is_kept(sign_in_fully, referrer, unrelated, referral):
    assert sign_in_fully(unrelated).post(f"/referrals/{referral.pk}/withdraw/").status_code == 404
    client = sign_in_fully(referrer)
    assert client.post(f"/referrals/{referral.pk}/withdraw/", {"reason": "Made in error"}).url == "/referrals/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    again = client.post(f"/referrals/{referral.pk}/withdraw/", {"reason": "Made in error"}, follow=True)
    assert "Only a referral not yet decided can be withdrawn" in again.content.decode()


def test_both_areas_coordinators_see_a_cross_area_match(sign_in_fully, coordinator, area, other_area, idva, police, referrer, unrelated):
    from marac.models import Role
    from tests.conftest import make_case, make_person

    def referred(case, by):
        assessment = services.assessment_start(case=case, by=by, on=date.today())
        services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=by)
        services.referral_submit(assessment=assessment, by=by, agency=idva, consent="given", today=date.today())

    here = make_case(area, idva, referrer, name="Joanne Price", date_of_birth=date(1985, 1, 9))
    there = make_case(other_area, idva, unrelated, name="Jo Pryce", aliases=["Joanne Price"], date_of_birth=date(1985, 1, 9))
    referred(here, referrer), referred(there, unrelated)
    charnwood = make_person("charnwood_coordinator", Role.COORDINATOR, police, other_area)
    nwl_page = sign_in_fully(coordinator).get(f"/cases/{here.reference}/").content.decode()
    cha_page = sign_in_fully(charnwood).get(f"/cases/{there.reference}/").content.decode()
    # Referred in both areas and heard in neither: a match says so, never "heard at" (issue 16).
    assert "referred to Charnwood" in nwl_page and "referred to North West Leicestershire" in cha_page
    assert "heard at Charnwood" not in nwl_page and "heard at North West" not in cha_page
    assert there.reference not in nwl_page and "Jo Pryce" not in nwl_page  # nothing but area and date


def test_only_coordinators_and_chairs_are_shown_a_match_and_each_is_logged(
    sign_in_fully, referrer, coordinator, area, other_area, idva, unrelated
):
    from audit.models import AccessEvent
    from tests.conftest import make_case

    there = make_case(other_area, idva, unrelated, name="Joanne Price", date_of_birth=date(1985, 1, 9))
    assessment = services.assessment_start(case=there, by=unrelated, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=unrelated)
    services.referral_submit(assessment=assessment, by=unrelated, agency=idva, consent="given", today=date.today())
    # A referrer types in any name and date of birth: they must learn nothing about other areas.
    client = sign_in_fully(referrer)
    start = client.post(
        "/cases/new-checklist/",
        {
            "area": str(referrer.memberships.get().pk),
            "name": "joanne price",
            "date_of_birth_day": "9",
            "date_of_birth_month": "1",
            "date_of_birth_year": "1985",
        },
    )
    summary = client.get(start.url.removesuffix("step-1/")).content.decode()
    assert "Charnwood" not in summary and "may already be known" not in summary
    here = start.url.split("/")[2]
    assert "referred to Charnwood" in sign_in_fully(coordinator).get(f"/cases/{here}/").content.decode()
    assert AccessEvent.objects.filter(user=coordinator, case_reference=there.reference, fields=["cross_area_match"]).exists()


def test_erasing_a_case_with_a_pending_referral_leaves_the_queues_working(sign_in_fully, coordinator, referrer, referral, case_b):
    services.case_shred(case=referral.case, by=coordinator)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert sign_in_fully(coordinator).get("/referrals/triage/").status_code == 200
    client = sign_in_fully(referrer)
    assert client.get("/referrals/").status_code == 200
    assert client.get(f"/cases/{referral.case.reference}/checklists/{referral.assessment_id}/").status_code == 403


def test_a_transfer_with_an_absurd_area_id_is_a_form_error(sign_in_fully, coordinator, case_a):
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/transfer/", {"to_area": "9" * 30, "reason": "victim_moved"})
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
