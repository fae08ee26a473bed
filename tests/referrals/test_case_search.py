"""Find a case (issue 16 item 3): by reference in any letter case, or by the victim's full name with
their date of birth through the blind index, only among the cases the person may see, and by name
only among those whose victim's name and date of birth the person may read. A search is logged as
having happened, with its count, never with what was searched for. What was typed is posted and
kept in the session under a random token: no URL (the list's, its links', the sign-in page's
`next`) ever carries a name or a date of birth."""

import re
from datetime import date, datetime

import pytest

from audit.models import AccessEvent
from tests.conftest import grant_hearing, make_case, make_person


def search(client, **params):
    """Types into the search box and presses Search: a POST, followed to the list it redirects to
    (or the form again, with its errors). `dob="1989-03-14"` fills the three date boxes."""
    if "dob" in params:
        try:
            born = date.fromisoformat(params.pop("dob"))
        except ValueError:
            born = None
        if born:
            params.update(dob_day=str(born.day), dob_month=str(born.month), dob_year=str(born.year))
    return client.post("/cases/search/", params, follow=True)


def final_url(response) -> str:
    return response.redirect_chain[-1][0] if response.redirect_chain else response.request["PATH_INFO"]


def references_in(response) -> list[str]:
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
    # The chain's digests are SHA-256 hex and the time has microseconds, either of which may hold
    # "1989" by chance: checked to be nothing but hex and a time instead, then every other column
    # searched for the terms.
    digests = {"hash", "previous_hash", "row_digest"}
    events = list(AccessEvent.objects.all())
    assert all(re.fullmatch("[0-9a-f]{64}", getattr(e, name) or "0" * 64) for e in events for name in digests)
    assert all(isinstance(e.at, datetime) for e in events)
    unchecked = {*digests, "at"}
    everything = " ".join(str(value) for e in events for name, value in e.__dict__.items() if name not in unchecked).lower()
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


def page_without(response, *typed: str) -> str:
    """The page with what was typed, the search's token and the (per-response, masked) CSRF
    token taken out: what is left must not depend on whether anything was found."""
    html = response.content.decode()
    for text in typed:
        html = html.replace(text, "TYPED")
    html = re.sub(r"search=[A-Za-z0-9_-]+", "search=TOKEN", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_auditor_cannot_find_a_victim_by_name_and_it_looks_like_no_such_person(sign_in_fully, auditor, case_a):
    """The defect: the auditor's name is Withheld, yet a name search answered "is Sarah Mitchell,
    born 14 March 1989, a case here?" with NWL-2026-0001."""
    client = sign_in_fully(auditor)
    found = search(client, q="Sarah Mitchell", dob="1989-03-14")
    nobody = search(client, q="Nobody Atall", dob="1989-03-14")
    assert references_in(found) == [] and found.status_code == nobody.status_code == 200
    assert page_without(found, "Sarah Mitchell") == page_without(nobody, "Nobody Atall")
    assert [e.purpose for e in AccessEvent.objects.filter(event="case_search")] == ["case search: 0 results"] * 2
    # The reference is still found: the auditor sees that the case exists, never who it is about.
    assert references_in(search(client, q=case_a.reference)) == [case_a.reference]


def test_a_coordinator_still_finds_the_victim_by_name(sign_in_fully, coordinator, auditor, case_a):
    assert references_in(search(sign_in_fully(coordinator), q="Sarah Mitchell", dob="1989-03-14")) == [case_a.reference]


def test_break_glass_finds_by_name_only_the_case_it_was_granted_for(sign_in_fully, unrelated, case_a):
    from datetime import timedelta

    from django.utils import timezone

    from referrals.models import BreakGlassGrant

    client = sign_in_fully(unrelated)
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == []
    BreakGlassGrant.objects.create(
        case=case_a,
        user=unrelated,
        membership=unrelated.memberships.get(),
        reason="emergency",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert references_in(search(client, q="Sarah Mitchell", dob="1989-03-14")) == [case_a.reference]


def test_no_url_ever_carries_the_name_or_date_of_birth(sign_in_fully, coordinator, area, idva, referrer):
    for _ in range(55):
        make_case(area, idva, referrer, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    client = sign_in_fully(coordinator)
    response = search(client, q="Sarah Mitchell", dob="1989-03-14", status="open")
    page = response.content.decode()
    assert len(references_in(response)) == 50 and "Showing 1 to 50 of 55 cases" in page
    url = final_url(response)
    assert re.fullmatch(r"/cases/\?status=open&search=[A-Za-z0-9_-]{16,}", url), url
    links = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert any("page=2" in link for link in links) and any("sort=" in link for link in links)
    for link in [url, *links]:
        assert not re.search(r"sarah|mitchell|1989|dob|q=", link, re.IGNORECASE), link
    # The next page carries only the token, and still shows the search.
    [second] = {link.replace("&amp;", "&") for link in links if "page=2" in link}
    following = client.get("/cases/" + second)
    assert len(references_in(following)) == 5
    assert 'value="Sarah Mitchell"' in following.content.decode()


def test_an_unknown_or_expired_search_says_so_and_shows_the_list(sign_in_fully, coordinator, case_a, case_b):
    client = sign_in_fully(coordinator)
    for token in ("no-such-search", "x" * 5000, "\x00"):
        response = client.get("/cases/", {"search": token})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Your search has expired, search again" in page
        assert sorted(references_in(response)) == sorted([case_a.reference, case_b.reference])
        assert "search=" not in page
    assert not AccessEvent.objects.filter(event="case_search").exists()


def test_only_a_few_recent_searches_are_kept(sign_in_fully, coordinator, case_a):
    client = sign_in_fully(coordinator)
    first = final_url(search(client, q=case_a.reference))
    assert references_in(client.get(first)) == [case_a.reference]
    for _ in range(5):
        search(client, q=case_a.reference)
    assert len(client.session["case_searches"]) == 5
    assert "Your search has expired, search again" in client.get(first).content.decode()


def test_a_search_token_belongs_to_its_session(sign_in_fully, coordinator, case_a):
    from django.test import Client

    from tests.conftest import sign_in_with_both_factors

    mine = final_url(search(sign_in_fully(coordinator), q="Sarah Mitchell", dob="1989-03-14"))
    other = Client()
    sign_in_with_both_factors(other, coordinator)  # the same person, another session
    assert "Your search has expired, search again" in other.get(mine).content.decode()


def test_terms_in_an_old_link_are_ignored_and_never_copied(sign_in_fully, coordinator, case_a, case_b):
    response = sign_in_fully(coordinator).get("/cases/", {"q": "Sarah Mitchell", "dob": "1989-03-14", "status": "open"})
    page = response.content.decode()
    assert sorted(references_in(response)) == sorted([case_a.reference, case_b.reference])
    assert 'value="Sarah Mitchell"' not in page and "1989" not in page
    assert not [link for link in re.findall(r'href="([^"]*)"', page) if re.search(r"sarah|mitchell|dob|q=", link, re.IGNORECASE)]
    assert not AccessEvent.objects.filter(event="case_search").exists()


def test_signing_in_again_after_expiry_never_carries_the_terms(client):
    response = client.get("/cases/", {"q": "Sarah Mitchell", "dob_day": "14", "dob_year": "1989", "search": "abc", "status": "open"})
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")
    assert "Sarah" not in response.url and "1989" not in response.url and "dob" not in response.url
    assert "search%3Dabc" in response.url and "status%3Dopen" in response.url


def test_the_search_is_posted_with_a_csrf_token(sign_in_fully, coordinator):
    page = sign_in_fully(coordinator).get("/cases/").content.decode()
    form = re.search(r'<form method="post" action="/cases/search/"[^>]*>(.*?)</form>', page, re.DOTALL)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    assert 'method="get"' not in page


def test_the_search_page_refuses_a_get(sign_in_fully, coordinator):
    assert sign_in_fully(coordinator).get("/cases/search/", {"q": "Sarah Mitchell"}).status_code == 405
