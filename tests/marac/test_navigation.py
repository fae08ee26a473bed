import re


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', html, re.S).group(0)
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'<a class="govuk-service-navigation__link"[^>]*>(.*?)</a>', nav, re.S)
    ]


def test_an_administrator_sees_administration(sign_in_fully, admin_user):
    html = sign_in_fully(admin_user).get("/").content.decode()
    assert nav_labels(html) == ["Home", "Administration", "Notifications", "Your account"]


def test_a_referrer_does_not_see_administration(sign_in_fully, referrer):
    html = sign_in_fully(referrer).get("/").content.decode()
    assert nav_labels(html) == ["Home", "Cases", "My referrals", "Notifications", "Your account"]


def test_the_current_page_is_marked(sign_in_fully, referrer):
    html = sign_in_fully(referrer).get("/account/").content.decode()
    current = re.findall(r'<a class="govuk-service-navigation__link" href="([^"]+)" aria-current="page">', html)
    assert current == ["/account/"]


def test_no_navigation_before_both_factors(client, referrer):
    client.post("/sign-in/", {"username": "referrer", "password": "correct-horse-battery-7"})
    html = client.get("/sign-in/security-code/").content.decode()
    assert "govuk-service-navigation__list" not in html


def test_home_lists_the_persons_roles(sign_in_fully, referrer):
    html = sign_in_fully(referrer).get("/").content.decode()
    assert "Referrer" in html and "Loughborough Women&#x27;s Aid" in html and "North West Leicestershire" in html


def test_a_coordinator_reaches_transfers_and_a_team_lead_their_team(sign_in_fully, coordinator, area, idva):
    from marac.models import Role
    from tests.conftest import make_person

    assert "Transfers" in nav_labels(sign_in_fully(coordinator).get("/").content.decode())
    lead = make_person("lead", Role.TEAM_LEAD, idva, area)
    assert nav_labels(sign_in_fully(lead).get("/").content.decode()) == [
        "Home",
        "Cases",
        "Team",
        "Notifications",
        "Your account",
    ]  # Cases: emergency access
