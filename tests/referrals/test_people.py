"""Perpetrators and household members: added by the case's owners, shown through the policy."""

from datetime import date

import pytest

from audit.models import AccessEvent
from referrals.models import HouseholdMember, Perpetrator
from tests.conftest import grant_hearing


def add_perpetrator(client, case, **overrides):
    data = {
        "name": "Darren Cole",
        "date_of_birth_day": "2",
        "date_of_birth_month": "2",
        "date_of_birth_year": "1984",
        "address": "11 Hermitage Road, Whitwick",
        "relationship_to_victim": "ex_partner",
        **overrides,
    }
    return client.post(f"/cases/{case.reference}/perpetrators/new/", data)


def add_child(client, case, **overrides):
    data = {
        "name": "Mia Cole",
        "date_of_birth_day": "5",
        "date_of_birth_month": "6",
        "date_of_birth_year": "2018",
        "school": "Greenhill Primary School",
        "relationship_to_victim": "daughter",
        **overrides,
    }
    return client.post(f"/cases/{case.reference}/household/new/", data)


def test_the_referrer_adds_a_perpetrator_and_a_child(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    assert add_perpetrator(client, case_a).url == f"/cases/{case_a.reference}/"
    assert add_child(client, case_a).status_code == 302
    perpetrator = Perpetrator.objects.select_related("case__data_key").get()
    assert perpetrator.name == "Darren Cole" and not perpetrator.aged_17_or_under
    child = HouseholdMember.objects.select_related("case__data_key").get()
    assert child.is_child and child.school == "Greenhill Primary School"
    html = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "Darren Cole" in html and "Greenhill Primary School" in html


def test_a_perpetrator_under_18_is_counted_as_such(sign_in_fully, referrer, case_a):
    add_perpetrator(sign_in_fully(referrer), case_a, date_of_birth_year=str(date.today().year - 16))
    assert Perpetrator.objects.get().aged_17_or_under


def test_without_a_date_of_birth_the_worker_says_whether_they_are_a_child(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    add_child(client, case_a, date_of_birth_day="", date_of_birth_month="", date_of_birth_year="", is_child="on")
    add_child(client, case_a, name="Lee Cole", date_of_birth_day="", date_of_birth_month="", date_of_birth_year="")
    assert sorted(HouseholdMember.objects.values_list("is_child", flat=True)) == [False, True]


@pytest.mark.parametrize("persona,sees_name,sees_school", [("chair", True, True), ("meeting_rep", True, False), ("auditor", False, False)])
def test_the_case_page_shows_people_through_the_policy(sign_in_fully, request, referrer, case_a, persona, sees_name, sees_school):
    owner = sign_in_fully(referrer)
    add_perpetrator(owner, case_a)
    add_child(owner, case_a)
    user = request.getfixturevalue("agency_rep" if persona == "meeting_rep" else persona)
    if persona == "meeting_rep":
        grant_hearing(user, case_a)
    html = sign_in_fully(user).get(f"/cases/{case_a.reference}/").content.decode()
    assert ("Darren Cole" in html) is sees_name and ("Mia Cole" in html) is sees_name
    assert ("Greenhill Primary School" in html) is sees_school
    event = AccessEvent.objects.filter(user=user, case_reference=case_a.reference, purpose="view case").get()
    assert ("perpetrator.name" in event.fields) is sees_name and ("household.school" in event.fields) is sees_school


@pytest.mark.parametrize("url", ["perpetrators/new/", "household/new/"])
def test_only_the_case_owners_may_add_people(sign_in_fully, chair, unrelated, case_a, url):
    assert sign_in_fully(chair).get(f"/cases/{case_a.reference}/{url}").status_code == 403
    assert sign_in_fully(unrelated).get(f"/cases/{case_a.reference}/{url}").status_code == 404


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"name": ""}, "Enter the perpetrator&#x27;s name"),
        ({"date_of_birth_year": "2099"}, "today or in the past"),
        ({"relationship_to_victim": "landlord"}, "Select a valid choice"),
        ({"address": "a" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_perpetrator_details_are_refused_and_kept(sign_in_fully, referrer, case_a, overrides, message):
    response = add_perpetrator(sign_in_fully(referrer), case_a, **overrides)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Perpetrator.objects.exists()


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"name": ""}, "Enter their name"),
        ({"date_of_birth_day": "30", "date_of_birth_month": "2"}, "must be a real date"),
        ({"school": "s" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_household_details_are_refused_and_kept(sign_in_fully, referrer, case_a, overrides, message):
    response = add_child(sign_in_fully(referrer), case_a, relationship_to_victim="<b>niece</b>", **overrides)
    html = response.content.decode()
    assert response.status_code == 200 and message in html and "&lt;b&gt;niece&lt;/b&gt;" in html
    assert not HouseholdMember.objects.exists()
