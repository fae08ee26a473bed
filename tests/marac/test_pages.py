"""The shared pages, the error pages, and what each signed-in page costs in queries."""

from django.test import Client, RequestFactory
from django.views.defaults import server_error

from marac.models import Membership, Role


def test_passwords_are_stored_with_argon2(referrer):
    referrer.set_password("another-long-passphrase-3")
    assert referrer.password.startswith("argon2")


def test_an_unknown_page_shows_the_service_404_to_a_signed_in_person(sign_in_fully, referrer):
    response = sign_in_fully(referrer).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_unknown_page_reveals_nothing_to_anonymous_people(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


def test_the_500_page_renders_without_a_request_context(db):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_a_plain_explanation(db, referrer):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": "referrer", "password": "x"})
    assert response.status_code == 403
    assert "Your form was not sent" in response.content.decode()
    assert "CSRF" not in response.content.decode()


def test_the_accessibility_statement_is_public(client, db):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "Accessibility statement" in response.content.decode()


def test_home_costs_the_same_queries_however_many_roles(
    sign_in_fully, referrer, police, other_area, django_assert_num_queries, monkeypatch
):
    # The page around the work list; each role's work list costs a fixed number of queries of
    # its own, however many rows (tests/marac/test_home_worklist.py).
    monkeypatch.setattr("marac.worklist._providers", {})
    client = sign_in_fully(referrer)
    client.get("/")
    # session, user, memberships (with agency and area), second-factor device, unread notifications
    with django_assert_num_queries(5):
        client.get("/")
    for role in (Role.AGENCY_REP, Role.CHAIR, Role.COORDINATOR):
        Membership.objects.create(user=referrer, agency=police, area=other_area, role=role)
    with django_assert_num_queries(5):
        assert "MARAC chair" in client.get("/").content.decode()
