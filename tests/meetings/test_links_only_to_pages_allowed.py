"""Links appear only to people who may follow them: every link each person is shown on the case
page, the meeting page, a meeting's case page, their home and the lists leads to a page that lets
them in, never to "you do not have permission" (403) or "page not found" (404). An auditor once
saw "Record an incident" on a case page and got a 403. (tests/e2e/test_phone_and_paper.py
follows the links of every page of the demo in a browser; this runs in the ordinary suite.)"""

import re

import pytest

from tests.conftest import sign_in_with_both_factors

NOT_A_PAGE = re.compile(r"/sign-out|/admin/|\.pdf|\.csv|/download|/account/confirm|/static/")
CHANGES = ("Record an incident", "Add a perpetrator", "Add someone in the household", "Transfer to another area", "Change the victim")


def hrefs(html: str) -> set[str]:
    main = html.split('id="main-content"', 1)[-1]
    return {h.replace("&amp;", "&").split("#")[0] for h in re.findall(r'<a [^>]*href="(/[^"]*)"', main)}


def pages(meeting, case) -> list[str]:
    return ["/", "/cases/", "/meetings/", "/meetings/actions/", f"/cases/{case.reference}/", f"/meetings/{meeting.pk}/",
            f"/meetings/{meeting.pk}/cases/{case.reference}/"]  # fmt: skip


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "chair", "agency_rep", "auditor"])
def test_every_link_a_person_is_shown_lets_them_in(request, client, rep_accepted, case_a, persona):
    sign_in_with_both_factors(client, request.getfixturevalue(persona))
    refused, seen = [], 0
    for page in pages(rep_accepted, case_a):
        response = client.get(page)
        if response.status_code != 200:
            continue  # a page this person has no part in: nothing links them to it
        seen += 1
        for link in sorted(hrefs(response.content.decode()) - {page}):
            if not NOT_A_PAGE.search(link) and (status := client.get(link).status_code) in (403, 404, 405):
                refused.append(f"{page} links to {link}: {status}")
    assert seen >= 3
    assert not refused, "\n".join(refused)


def test_the_auditors_case_page_offers_no_change(sign_in_fully, auditor, case_a):
    response = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/")
    assert response.status_code == 200
    assert [words for words in CHANGES if words in response.content.decode()] == []


def test_the_coordinators_case_page_offers_the_changes_the_auditors_does_not(sign_in_fully, coordinator, case_a):
    """The check above can fail: the same words are there for someone who may make the changes."""
    page = sign_in_fully(coordinator).get(f"/cases/{case_a.reference}/").content.decode()
    assert [words for words in CHANGES if words in page] == list(CHANGES)
