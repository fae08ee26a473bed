"""What every page's frame tells a person before its content: a title that says which case,
meeting or list it shows (and with which filters), the phase banner's warning inside the header
landmark, and no field focused on load, which would carry a screen reader past the skip link.
(tests/e2e/test_phone_and_paper.py checks titles are unique across every page of the demo.)"""

import re


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def test_the_phase_banner_is_inside_the_header_landmark(client, db):
    page = client.get("/sign-in/").content.decode()
    header = re.search(r"<header[^>]*>(.*?)</header>", page, re.S)
    assert header and "govuk-phase-banner" in header.group(1) and "OFFICIAL-SENSITIVE" in header.group(1)
    assert page.index("govuk-skip-link") < page.index("<header")


def test_no_field_is_focused_on_load_on_sign_in_or_changing_a_password(client, sign_in_fully, referrer):
    assert "autofocus" not in client.get("/sign-in/").content.decode()
    assert "autofocus" not in sign_in_fully(referrer).get("/account/password/").content.decode()


def test_a_case_form_says_which_case_in_its_title(sign_in_fully, coordinator, case_a):
    response = sign_in_fully(coordinator).get(f"/cases/{case_a.reference}/incidents/new/")
    assert title(response) == f"Record an incident on case {case_a.reference} – MARAC case coordination"


def test_a_filtered_list_says_its_filters_in_its_title(sign_in_fully, coordinator):
    client = sign_in_fully(coordinator)
    assert title(client.get("/meetings/actions/")) == "Actions – MARAC case coordination"
    assert title(client.get("/meetings/actions/?status=overdue")) == "Actions, overdue – MARAC case coordination"
    assert title(client.get("/meetings/actions/?status=<script>")) == "Actions – MARAC case coordination"


def test_a_search_says_it_is_one_without_repeating_the_name_searched_for(sign_in_fully, coordinator, case_a):
    typed = {"q": "Sarah Mitchell", "dob_day": "14", "dob_month": "3", "dob_year": "1989"}
    response = sign_in_fully(coordinator).post("/cases/search/", typed, follow=True)
    assert "search=" in response.redirect_chain[-1][0]
    assert "search results" in title(response) and "Sarah" not in title(response)
    assert title(sign_in_fully(coordinator).get("/cases/")) == "Cases – MARAC case coordination"
