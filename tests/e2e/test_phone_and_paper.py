"""Every page each person can reach, on a phone and a desktop: each person signs in to the demo
and follows the links the service shows them, one page of each kind (a case page, not every
case), in a window 320 px wide. Each page must fit the window (tables scroll in a region of
their own, never the page), pass axe at 320 and at 1280 px, focus nothing on load, and answer;
a link to a page that refuses the person (403) or does not exist for them (404) is a defect:
links appear only to people who may follow them. Titles must tell different pages apart.

On the demo data (seed_demo, without rendering packs); about two minutes.
"""

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import connection

from tests.e2e.test_journey import AXE, PASSWORD, browser, served_demo  # noqa: F401 (browser is a fixture)
from tests.scratch_db import manage

# Layout, titles and which links each person is shown do not depend on the database engine, and
# the sweep takes minutes: it runs on the SQLite leg of CI; the journey (test_journey.py) runs in
# a browser on both.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor == "postgresql", reason="the phone sweep runs on the SQLite leg; layout is the same"),
]

PEOPLE = ("referrer", "coordinator", "chair", "agency_rep", "auditor")
PHONE, DESKTOP = 320, 1280
PAGES_PER_PERSON = 40
# Not pages: downloads, signing out, the Django admin, and asking for a code again.
NOT_A_PAGE = re.compile(r"/sign-out|/admin/|\.pdf|\.csv|/download|/account/confirm|/static/")
# How a list is ordered or paged does not make it a different page for the title check.
ORDER = {"sort", "order", "dir", "direction", "page"}


@pytest.fixture(scope="module")
def demo():
    with served_demo("--without-packs") as served:
        yield served


@dataclass
class Visit:
    person: str
    url: str  # path and query
    title: str = ""


def kind_of(url: str) -> str:
    """A page's kind: its path with ids and references made general. A list sorted, filtered or
    paged is the same template with other rows: once is enough (their titles have unit tests)."""
    path = re.sub(r"[A-Z]{2,4}-(\d{4}-\d{4}|S\d+)", "REF", urlsplit(url).path)
    path = re.sub(r"/people/[^/]+/", "/people/NAME/", path)
    return re.sub(r"\d+", "N", path)


def page_of(url: str) -> str:
    """What the title must name: the path and what the query selects, not how it is ordered."""
    parts = urlsplit(url)
    return parts.path + "?" + urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k not in ORDER))


def sign_in(browser, demo, username: str):  # noqa: F811 (browser is the fixture)
    base, env = demo
    # bypass_csp only so that axe-core can be injected: the service's own pages never need it.
    context = browser.new_context(bypass_csp=True, viewport={"width": PHONE, "height": 800})
    page = context.new_page()
    page.goto(base + "/sign-in/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    for attempt in range(2):
        if attempt:  # a code is good once: a second sign-in within its 30 seconds waits for the next
            time.sleep(31 - time.time() % 30)
        page.get_by_label("Security code", exact=True).fill(manage(env, "demo_totp", username).stdout.strip()[-6:])
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        if page.url == base + "/":
            break
    assert page.url == base + "/", f"{username} did not get in: {page.url}"
    return page


def axe(page, *, contrast: bool = True) -> list[str]:
    """Serious and critical violations. Colour contrast is four fifths of axe's time and depends on
    the stylesheet, not on who is looking: it is checked on a kind of page's first visit only."""
    options = "{resultTypes: ['violations']" + ("" if contrast else ", rules: {'color-contrast': {enabled: false}}") + "}"
    result = page.evaluate(f"async () => await axe.run(document, {options})")
    return [f"{v['id']} ({len(v['nodes'])})" for v in result["violations"] if v["impact"] in ("serious", "critical")]


# The elements that stick out past the window's right edge, deepest first, to name in a failure.
WIDER_THAN_THE_WINDOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
    .slice(0, 3).map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}px`);
}"""


def check(page, problems: list[str], *, first: bool = True) -> None:
    """The page as it is now, at 320 px and, on a kind of page's first visit, at 1280 px."""
    where = urlsplit(page.url).path
    scroll, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > window:
        problems.append(f"{where} is {scroll} px wide at {PHONE} px: {page.evaluate(WIDER_THAN_THE_WINDOW)}")
    if page.evaluate("() => document.querySelector('[autofocus]') !== null"):
        problems.append(f"{where} focuses a field on load, past the skip link")
    page.add_script_tag(path=str(AXE))
    if found := axe(page, contrast=first):
        problems.append(f"{where} at {PHONE} px: {found}")
    if first:
        page.set_viewport_size({"width": DESKTOP, "height": 800})
        if found := axe(page):
            problems.append(f"{where} at {DESKTOP} px: {found}")
        page.set_viewport_size({"width": PHONE, "height": 800})


def links(page, base: str) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]:not([download])')].map(a => a.href)")
    found = []
    for href in hrefs:
        href = href.split("#")[0]
        if href.startswith(base + "/") and not NOT_A_PAGE.search(href):
            found.append(href.removeprefix(base))
    return found


def accept_statements(page) -> None:
    """A representative sees a meeting's cases only after accepting its confidentiality statement."""
    accept = page.get_by_label("I accept the confidentiality statement", exact=True)
    if accept.count():
        accept.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Accept and continue").click()


def sweep(browser, demo, username: str, problems: list[str], checked: set[str]) -> list[Visit]:  # noqa: F811
    """Follows the links the person is shown, breadth first, one page of each kind. A kind is
    checked in full, at 1280 px too and for colour contrast, for the first person to reach it
    (`checked`); it is the same document at both widths, and its colours are the stylesheet's,
    so later people's visits check the rest of axe at 320 px: the sweep takes a third the time."""
    base, _ = demo
    page = sign_in(browser, demo, username)
    queue, kinds, visits, referred_from = ["/"], set(), [], {}
    while queue and len(visits) < PAGES_PER_PERSON:
        url = queue.pop(0)
        if kind_of(url) in kinds:
            continue
        kinds.add(kind_of(url))
        response = page.goto(base + url)
        if response.status >= 400:
            problems.append(f"{username} is shown a link to {url} (on {referred_from.get(url)}), which answers {response.status}")
            continue
        check(page, problems, first=kind_of(url) not in checked)
        checked.add(kind_of(url))
        visits.append(Visit(username, page.url.removeprefix(base), page.title()))
        accept_statements(page)
        for link in links(page, base):
            referred_from.setdefault(link, url)
            queue.append(link)
    page.context.close()
    return visits


def same_titles(visits: list[Visit]) -> list[str]:
    pages_by_title = defaultdict(set)
    for visit in visits:
        pages_by_title[visit.title].add(page_of(visit.url))
    return [f"{title!r}: {sorted(pages)}" for title, pages in pages_by_title.items() if len(pages) > 1]


def test_every_page_fits_a_phone_passes_axe_and_has_a_title_of_its_own(demo, browser):  # noqa: F811
    problems: list[str] = []
    checked: set[str] = set()
    visits = [visit for username in PEOPLE for visit in sweep(browser, demo, username, problems, checked)]
    assert len(visits) > 60, f"only {len(visits)} pages reached: is the demo data there?"
    problems += [f"Title shared by different pages: {line}" for line in same_titles(visits)]
    assert not problems, f"{len(problems)} problems on {len(visits)} pages:\n" + "\n".join(problems)


def test_the_checks_catch_a_page_wider_than_a_phone_and_a_field_focused_on_load(demo, browser):  # noqa: F811
    """The sweep above can fail."""
    page = browser.new_context(bypass_csp=True, viewport={"width": PHONE, "height": 800}).new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Wide</h1>'
        '<table><tr><td><div style="width: 600px">wide</div></td></tr></table>'
        '<label for="a">A</label><input id="a" autofocus></main></body></html>'
    )
    problems: list[str] = []
    check(page, problems)
    assert any("600" in p or "wide at 320" in p for p in problems) and any("focuses a field" in p for p in problems)
    assert same_titles([Visit("a", "/cases/", "Cases"), Visit("b", "/cases/?status=open", "Cases")])
    assert not same_titles([Visit("a", "/cases/", "Cases"), Visit("b", "/cases/?page=2&sort=ref", "Cases")])


def test_a_long_reference_or_word_wraps_rather_than_widening_the_page(demo, browser):  # noqa: F811
    """The service's stylesheet on a summary list, a paragraph and a heading holding a word longer
    than a phone is wide (an email address, a pasted reference): they wrap, the page stays 320 px."""
    page = browser.new_context(viewport={"width": PHONE, "height": 800}).new_page()
    word = "x" * 120
    page.set_content(
        f'<html lang="en"><head><title>t</title><link rel="stylesheet" href="{demo[0]}/static/marac.css"></head>'
        f'<body class="govuk-template__body"><main class="govuk-width-container"><h1 class="govuk-heading-l">{word}</h1>'
        f'<p class="govuk-body">{word}</p><dl class="govuk-summary-list"><div class="govuk-summary-list__row">'
        f'<dt class="govuk-summary-list__key">Email</dt><dd class="govuk-summary-list__value">{word}</dd></div></dl>'
        "</main></body></html>",
        wait_until="load",
    )
    assert page.evaluate("() => getComputedStyle(document.querySelector('.govuk-body')).overflowWrap") == "break-word"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE
    page.context.close()


def test_signing_in_fits_a_phone(demo, browser):  # noqa: F811
    page = browser.new_context(bypass_csp=True, viewport={"width": PHONE, "height": 800}).new_page()
    problems: list[str] = []
    page.goto(demo[0] + "/sign-in/")
    check(page, problems)
    page.get_by_label("Username", exact=True).fill("chair")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Security code", exact=True).wait_for()
    check(page, problems)
    assert not problems, problems
    page.context.close()


def test_a_search_and_its_results_fit_a_phone(demo, browser):  # noqa: F811
    page = sign_in(browser, demo, "coordinator")
    page.goto(demo[0] + "/cases/")
    page.get_by_label("Case reference or victim's full name", exact=True).fill("nwl-2026-0001")
    with page.expect_navigation(url=lambda url: "search=" in url):  # posted, then sent to the list
        page.get_by_role("button", name="Search", exact=True).click()
    problems: list[str] = []
    check(page, problems)
    assert "NWL-2026-0001" in page.content() and "search results" in page.title()
    assert "nwl-2026-0001" not in page.url.lower()  # what was typed stays out of the URL and history
    assert not problems, problems
    page.context.close()


def test_the_ni32_charts_labels_never_overlap_and_use_the_pages_font(demo, browser):  # noqa: F811
    page = sign_in(browser, demo, "coordinator")
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    page.goto(demo[0] + "/reports/")
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('.marac-chart text')]"
        ".map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) > 20
    overlaps = [
        (a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]
    assert not overlaps, overlaps
    chart_font, body_font = page.evaluate(
        "() => [getComputedStyle(document.querySelector('.marac-chart text')).fontFamily,"
        " getComputedStyle(document.querySelector('.govuk-body')).fontFamily]"
    )
    assert chart_font == body_font
    page.context.close()
