"""Find a case (issue 16 item 3): by reference in any letter case, or by the victim's full name with
their date of birth through the blind index, only among the cases the person may see. A search is
logged as having happened, with its count, never with what was searched for."""

from datetime import date

import pytest

from audit.models import AccessEvent
from tests.conftest import grant_hearing, make_case, make_person


def search(client, **params):
    return client.get("/cases/", params)


def references_in(response) -> list[str]:
    import re

    return re.findall(r'href="/cases/([A-Z0-9-]+)/"', response.content.decode())


def test_a_reference_is_found_in_any_letter_case(sign_in_fully, coordinator, case_a, case_b):
    client = sign_in_fully(coordinator)
    for typed in (case_a.reference, case_a.reference.lower(), f"  {case_a.reference.swapcase()} "):
        assert references_in(search(client, q=typed)) == [case_a.reference]


def test_a_name_with_the_date_of_birth_is_found_however_it_is_typed(sign_in_fully, coordinator, case_a, case_b):
    client = sign_in_fully(coordinator)
    found = search(client, q="  sarah   MITCHELL ", dob_day="14", dob_month="3", dob_year="1989")
    assert references_in(found) == [case_a.reference]
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == [case_a.reference]


def test_an_alias_is_found_too(sign_in_fully, coordinator, area, idva, referrer):
    case = make_case(area, idva, referrer, name="Joanne Price", aliases=["Jo Pryce"], date_of_birth=date(1985, 9, 1))
    assert references_in(search(sign_in_fully(coordinator), q="Jo Pryce", dob="1985-09-01")) == [case.reference]


def test_a_near_miss_finds_nothing(sign_in_fully, coordinator, case_a):
    client = sign_in_fully(coordinator)
    assert references_in(search(client, q="Sarah Mitchel", dob="1989-03-14")) == []
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-15")) == []
    assert "No cases match" in search(client, q="Sarah Mitchell", dob="1989-03-15").content.decode()


def test_the_same_person_in_another_area_is_never_found(sign_in_fully, coordinator, case_a, other_area, idva):
    other_referrer = make_person("charnwood_referrer", "referrer", idva, other_area)
    elsewhere = make_case(other_area, idva, other_referrer, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    client = sign_in_fully(coordinator)
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == [case_a.reference]
    assert references_in(search(client, q=elsewhere.reference)) == []


def test_a_reference_you_cannot_see_looks_exactly_like_no_such_case(sign_in_fully, unrelated, case_a):
    import re

    def page(typed):  # the page with what was typed and the (per-response, masked) CSRF token taken out
        html = search(client, q=typed).content.decode().replace(typed, "TYPED")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    client = sign_in_fully(unrelated)
    assert page(case_a.reference) == page("NWL-2099-9999")
    assert [e.purpose for e in AccessEvent.objects.filter(event="case_search")] == ["case search: 0 results"] * 2


def test_a_name_without_a_date_of_birth_is_refused_and_kept(sign_in_fully, coordinator, case_a):
    page = search(sign_in_fully(coordinator), q="Sarah Mitchell").content.decode()
    assert "Enter the date of birth as well as the name" in page
    assert 'value="Sarah Mitchell"' in page
    assert "<title>Error:" in page
    assert case_a.reference not in references_in_page(page)


def references_in_page(page: str) -> list[str]:
    import re

    return re.findall(r'href="/cases/([A-Z0-9-]+)/"', page)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "1989", "Date of birth must be a real date"),
        ("14", "", "1989", "Date of birth must include a month"),
        ("x", "3", "89", ""),
    ],
)
def test_an_invalid_date_is_a_clear_error_and_the_input_is_kept(sign_in_fully, coordinator, case_a, day, month, year, message):
    response = search(sign_in_fully(coordinator), q="Sarah Mitchell", dob_day=day, dob_month=month, dob_year=year)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert 'value="Sarah Mitchell"' in page
    assert references_in_page(page) == []


def test_a_date_of_birth_without_a_name_is_refused(sign_in_fully, coordinator, case_a):
    page = search(sign_in_fully(coordinator), dob="1989-03-14").content.decode()
    assert "Enter the victim&#x27;s full name as well as the date of birth" in page


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 5000},
        {"q": "Sarah\x00Mitchell", "dob": "1989-03-14"},
        {"q": "NWL\x00"},
        {"q": "<script>alert(1)</script>", "dob": "1989-03-14"},
    ],
)
def test_hostile_searches_are_clear_errors_never_a_500(sign_in_fully, coordinator, case_a, params):
    response = search(sign_in_fully(coordinator), **params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page
    assert references_in_page(page) == []


def test_a_search_is_logged_with_its_count_and_never_its_terms(sign_in_fully, coordinator, case_a):
    client = sign_in_fully(coordinator)
    search(client, q="Sarah Mitchell", dob="1989-03-14")
    search(client, q=case_a.reference.lower())
    events = list(AccessEvent.objects.filter(event="case_search").order_by("pk"))
    assert [e.purpose for e in events] == ["case search: 1 results", "case search: 1 results"]
    everything = " ".join(str(value) for e in AccessEvent.objects.all() for value in e.__dict__.values()).lower()
    assert "sarah" not in everything and "mitchell" not in everything and "1989" not in everything


def test_a_refused_search_is_not_run_or_logged_as_a_search(sign_in_fully, coordinator, case_a):
    search(sign_in_fully(coordinator), q="Sarah Mitchell")
    assert not AccessEvent.objects.filter(event="case_search").exists()


def test_the_auditor_finds_a_case_in_their_area_by_reference_in_any_case(sign_in_fully, auditor, case_a):
    assert references_in(search(sign_in_fully(auditor), q=case_a.reference.lower())) == [case_a.reference]


def test_a_representative_finds_only_the_cases_they_hear(sign_in_fully, agency_rep, case_a, case_b):
    client = sign_in_fully(agency_rep)
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == []
    grant_hearing(agency_rep, case_a)
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == [case_a.reference]
    assert references_in(search(client, q="Aisha Rahman", dob="1994-11-02")) == []
