"""The whole service as its users meet it: a real server process on a database of its own, Debian's
chromium driven by Playwright (the system executable; nothing is downloaded), every page of the
journey checked with axe-core, and the risk checklist completed with the keyboard alone.

Journey: the outreach worker signs in with a second factor, completes the checklist and refers;
the coordinator finds it from their home page's work list, accepts it, finds the case by its
reference typed in lower case, builds and issues the agenda; the referrer, on a phone, is told of
the decision by a notification and follows it; a representative accepts the confidentiality
statement, files research and downloads the pack; on the meeting's day the chair records minutes
and an action and issues them; the representative updates the action; the auditor finds the
case's access history and sees the chain verified. A screenshot of the page is kept when a step
fails.
"""

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import free_port, wait_for_port
from tests.scratch_db import ROOT, manage, scratch_database

CHROMIUM = os.environ.get("MARAC_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("MARAC_E2E_SCREENSHOTS", ROOT / "var" / "e2e-screenshots"))
PASSWORD = "marac-demo-2026"
VICTIM = "Leanne Foster"

pytestmark = [
    pytest.mark.e2e,
    # The browser sees the same pages whichever database serves them; every page's queries are
    # tested on PostgreSQL by the rest of the suite. One leg keeps CI well under 30 minutes.
    pytest.mark.skipif(connection.vendor == "postgresql", reason="the browser journey runs on the SQLite leg; CI time"),
]


@contextmanager
def served_demo(*seed_options: str):
    """The demo data on a scratch database, served by a real server process; yields (base URL,
    its environment)."""
    missing = [str(path) for path in (Path(CHROMIUM), AXE) if not path.exists()]
    assert not missing, f"Missing {missing}: install Debian's chromium (apt-get install chromium) and run `make install`."
    with scratch_database() as env:
        manage(env, "seed_demo", *seed_options)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, server)
            yield f"http://127.0.0.1:{port}", env
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def app():
    with served_demo() as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


class Person:
    """One person's browser: signs in with both factors and checks every page it opens with axe."""

    def __init__(self, browser, app, username: str, violations: list):
        self.base, self.env = app
        self.username = username
        # bypass_csp only so that axe-core can be injected: the service's own pages never need it.
        self.context = browser.new_context(bypass_csp=True, accept_downloads=True)
        self.page = self.context.new_page()
        self.violations = violations

    def code(self) -> str:
        return manage(self.env, "demo_totp", self.username).stdout.strip()[-6:]

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check()

    def click(self, name: str, role: str = "button") -> None:
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=True).first.click()
        self.check()

    def check(self) -> None:
        """axe-core on the page as it is now: no serious or critical violations allowed; and at
        any width, the page itself never scrolls sideways (tables scroll in their own region)."""
        width = self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            self.violations.append((self.page.url, "scrolls-sideways", f"{width[0]} px wide in a {width[1]} px window", 1))
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                self.violations.append((self.page.url, violation["id"], violation["help"], len(violation["nodes"])))

    def sign_in(self) -> "Person":
        self.open("/sign-in/")
        self.page.get_by_label("Username", exact=True).fill(self.username)
        self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        self.click("Continue")
        self.page.get_by_label("Security code", exact=True).fill(self.code())
        self.click("Sign in")
        assert self.page.url == self.base + "/", f"{self.username} did not get in: {self.page.url}"
        return self


@contextmanager
def step(person: Person, name: str):
    try:
        yield
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        person.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        raise


def complete_checklist_with_the_keyboard(page) -> None:
    """Tab to each question's answers and choose "Yes" with the space bar; move on with Enter on
    the step's main button, until the last step's. No mouse, no clicks."""
    for _ in range(10):  # more than the checklist has steps
        for _ in range(300):  # more than a step has tab stops
            page.keyboard.press("Tab")
            kind, value, checked, text = page.evaluate(
                "() => { const e = document.activeElement; return [e.type, e.value, e.checked, e.textContent.trim()]; }"
            )
            if kind == "radio" and value == "yes" and not checked:
                page.keyboard.press("Space")
            elif kind == "submit" and text in ("Save and continue", "Save and see the score"):
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                if text == "Save and see the score":
                    return
                break
        else:
            raise AssertionError("no way on from this step with the keyboard")
    raise AssertionError("the checklist did not finish")


def bring_the_meetings_day(app, meeting_id: int) -> None:
    """Move the meeting to a minute ago in the server's database (not through the service: no
    page moves a meeting's date once its agenda is out)."""
    _, env = app
    code = (
        "from datetime import timedelta; from django.utils import timezone; from meetings.models import Meeting; "
        f"Meeting.objects.filter(pk={meeting_id}).update(starts_at=timezone.now() - timedelta(minutes=1))"
    )
    manage(env, "shell", "-c", code)


def test_the_whole_journey_in_a_browser(app, browser):
    violations: list = []
    referrer = Person(browser, app, "referrer", violations).sign_in()
    with step(referrer, "1-referrer-checklist"):
        referrer.open("/referrals/")
        referrer.click("Start a risk checklist", role="link")
        referrer.page.get_by_label("Victim's full name", exact=True).fill(VICTIM)
        referrer.page.get_by_label("Day", exact=True).fill("9")
        referrer.page.get_by_label("Month", exact=True).fill("4")
        referrer.page.get_by_label("Year", exact=True).fill("1991")
        referrer.click("Start the checklist")
        complete_checklist_with_the_keyboard(referrer.page)
        referrer.check()
        assert "Score 24" in referrer.page.content()
        referrer.click("Refer to MARAC", role="link")
        referrer.page.get_by_label("The victim agreed to the referral", exact=True).check()
        referrer.click("Submit the referral")
        reference = re.search(r"NWL-\d{4}-\d{4}", referrer.page.content()).group(0)

    coordinator = Person(browser, app, "coordinator", violations).sign_in()
    with step(coordinator, "2-coordinator-agenda"):
        coordinator.click("Referrals waiting for triage", role="link")
        coordinator.page.get_by_role("link", name=f"Decide on {reference}").click()
        coordinator.page.get_by_label("Accept: list for the next MARAC meeting", exact=True).check()
        coordinator.click("Record the decision")
        coordinator.open("/cases/")
        coordinator.page.get_by_label("Case reference or victim's full name", exact=True).fill(reference.lower())
        coordinator.click("Search")
        assert coordinator.page.get_by_role("link", name=reference).count() == 1
        coordinator.open("/meetings/new/")
        day = date.today() + timedelta(days=35)
        coordinator.page.get_by_label("North West Leicestershire", exact=True).check()
        coordinator.page.get_by_label("Day", exact=True).fill(str(day.day))
        coordinator.page.get_by_label("Month", exact=True).fill(str(day.month))
        coordinator.page.get_by_label("Year", exact=True).fill(str(day.year))
        coordinator.page.get_by_label("Start time", exact=True).fill("10:00")
        coordinator.page.get_by_label("Venue", exact=True).fill("Coalville, room 2")
        coordinator.page.get_by_label("Helen Marsh", exact=True).check()
        coordinator.page.get_by_label("Leicestershire Children's Social Care", exact=True).check()
        coordinator.page.get_by_label("Leicestershire Police", exact=True).check()
        coordinator.click("Schedule the meeting")
        meeting_url = coordinator.page.url
        coordinator.click("Add accepted referrals (1 waiting)")
        assert reference in coordinator.page.content()
        coordinator.click("Issue the agenda")
        assert "Agenda issued" in coordinator.page.content()

    with step(referrer, "2b-referrer-notified-on-a-phone"):
        referrer.page.set_viewport_size({"width": 320, "height": 640})
        referrer.open("/")
        menu = referrer.page.get_by_role("button", name="Menu")
        if menu.count() and menu.first.is_visible():  # the service navigation folds away on a phone
            menu.first.click()
        with referrer.page.expect_navigation():
            referrer.page.get_by_role("link", name=re.compile(r"^Notifications \(\d+ new\)$")).click()
        referrer.check()
        assert "has accepted or declined a referral you made" in referrer.page.content()
        assert VICTIM not in referrer.page.content() and reference not in referrer.page.content()
        referrer.click("Go to the referral", role="link")
        assert reference in referrer.page.content()

    rep = Person(browser, app, "agency_rep", violations).sign_in()
    with step(rep, "3-representative-research"):
        rep.open(meeting_url.removeprefix(rep.base))
        assert VICTIM not in rep.page.content()  # nothing before the statement
        rep.click("Read the confidentiality statement", role="link")
        rep.page.get_by_label("I accept the confidentiality statement", exact=True).check()
        rep.click("Accept and continue")
        with rep.page.expect_navigation():  # checked once the case's page has loaded, not mid-navigation
            rep.page.get_by_role("link", name=reference).click()
        rep.check()
        rep.click("Return your agency's research", role="link")
        rep.page.get_by_label("What your records show (facts)", exact=True).fill("Two children known to the service since 2024.")
        rep.click("Save the research")
        rep.open(meeting_url.removeprefix(rep.base))
        with rep.page.expect_download() as download:
            rep.page.get_by_role("link", name="Download the meeting pack (PDF)").click()
        pdf = download.value.path()
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert VICTIM in text and "Prepared for Tom Okafor" in text and "Two children known" in text

    # The meeting's day comes: it cannot be started before it, and the journey cannot wait 35 days.
    meeting_id = int(re.search(r"/meetings/(\d+)/", meeting_url).group(1))
    bring_the_meetings_day(app, meeting_id)
    chair = Person(browser, app, "chair", violations).sign_in()
    with step(chair, "4-chair-minutes"):
        chair.open(meeting_url.removeprefix(chair.base))
        chair.click("Start the meeting")
        chair.page.get_by_role("link", name=reference).click()
        chair.click("Record the minutes", role="link")
        chair.page.get_by_label("Risks identified", exact=True).fill("Escalating threats since separation.")
        chair.page.get_by_label("Referral to MAPPA", exact=True).check()
        chair.click("Save the minutes")
        chair.click("Agree an action", role="link")
        chair.page.get_by_label("Leicestershire Children's Social Care", exact=True).check()
        chair.page.get_by_label("Owner", exact=True).select_option(label="Tom Okafor")
        chair.page.get_by_label("What will be done", exact=True).fill("Visit the children at school this week.")
        due = date.today() + timedelta(days=7)
        chair.page.get_by_label("Day", exact=True).fill(str(due.day))
        chair.page.get_by_label("Month", exact=True).fill(str(due.month))
        chair.page.get_by_label("Year", exact=True).fill(str(due.year))
        chair.click("Record the action")
        chair.open(meeting_url.removeprefix(chair.base))
        chair.click("End the meeting")
        chair.click("Issue the minutes")
        assert "Minutes issued" in chair.page.content()

    with step(rep, "5-representative-action"):
        rep.open("/meetings/actions/")
        with rep.page.expect_navigation():
            rep.page.get_by_role("link", name=f"Update the action on {reference}").click()
        rep.check()
        rep.page.get_by_label("Done", exact=True).check()
        rep.page.get_by_label("Progress note", exact=True).fill("Visited on Tuesday.")
        rep.click("Save the update")
        assert "The action has been updated." in rep.page.content()

    auditor = Person(browser, app, "auditor", violations).sign_in()
    with step(auditor, "6-auditor"):
        auditor.open(f"/audit/cases/{reference}/")
        page = auditor.page.content()
        assert "agency_rep" in page and "chair" in page and VICTIM not in page
        auditor.open("/audit/chain/")
        assert "Verified" in auditor.page.content()

    assert not violations, "Serious or critical accessibility problems:\n" + "\n".join(map(str, violations))


def test_the_accessibility_check_catches_a_serious_problem(app, browser):
    """The check above can fail: a page with an image without alternative text does."""
    violations: list = []
    person = Person(browser, app, "referrer", violations)
    person.page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>')
    person.check()
    assert any(violation_id == "image-alt" for _, violation_id, _, _ in violations)
