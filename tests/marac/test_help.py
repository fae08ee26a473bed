"""Help: a page per role on the common tasks, linked from every page a signed-in person sees."""

import re

import pytest

from audit.models import AccessEvent
from marac.help_views import PAGES

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
HELP_URLS = ["/help/"] + [f"/help/{page.slug}/" for page in PAGES]


def title_of(html: str) -> str:
    return " ".join(TITLE.search(html).group(1).split())


def test_there_is_a_page_for_each_role_with_common_tasks():
    assert [page.slug for page in PAGES] == ["referrer", "coordinator", "chair", "representative", "auditor"]


@pytest.mark.parametrize("url", HELP_URLS)
def test_each_help_page_renders_for_a_signed_in_person(sign_in_fully, referrer, url):
    response = sign_in_fully(referrer).get(url)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">' in response.content.decode()


def test_every_help_page_has_a_title_of_its_own(sign_in_fully, auditor):
    client = sign_in_fully(auditor)
    titles = [title_of(client.get(url).content.decode()) for url in HELP_URLS]
    assert len(set(titles)) == len(titles), titles


def test_help_is_linked_from_the_home_page_and_the_index_links_every_role(sign_in_fully, coordinator):
    client = sign_in_fully(coordinator)
    assert 'href="/help/"' in client.get("/").content.decode()
    index = client.get("/help/").content.decode()
    for page in PAGES:
        assert f'href="/help/{page.slug}/"' in index
    # The person's own role comes first and is marked.
    assert index.index("/help/coordinator/") < index.index("/help/referrer/")
    assert "Your role" in index


def test_help_is_linked_from_other_pages_too(sign_in_fully, referrer):
    assert 'href="/help/"' in sign_in_fully(referrer).get("/cases/").content.decode()


def test_help_needs_signing_in_and_is_not_offered_before(client):
    for url in HELP_URLS:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/sign-in/")
    assert 'href="/help/"' not in client.get("/sign-in/").content.decode()


def test_help_reads_no_records(sign_in_fully, unrelated, case_a):
    client = sign_in_fully(unrelated)
    before = AccessEvent.objects.count()
    for url in HELP_URLS:
        html = client.get(url).content.decode()
        assert case_a.reference not in html and "Sarah Mitchell" not in html
    assert AccessEvent.objects.count() == before


def test_help_pages_only_answer_get(sign_in_fully, referrer):
    assert sign_in_fully(referrer).post("/help/").status_code == 405
