"""The embedded database holds a small office (issue 15): the `make run` demo, served as `make run`
serves it (runserver, threaded, on an SQLite file), answers 16 people signed in with both factors
and opening, all at once for 60 seconds, pages that write access events, without one 500.

On SQLite every page view writes (the access event, the session), so concurrent readers contend
for the one writer. With the SQLite OPTIONS in marac/settings.py (WAL, IMMEDIATE transactions, a
20-second busy timeout) the writes queue. Without them a transaction that began reading fails
when it comes to write and finds the database locked: run without them, 392 of 1,543 requests
were 500s "database is locked".

Slow (marker `slow`): a minute of load after migrating a database file and seeding the demo,
about two minutes in all. SQLite only: on PostgreSQL these settings do not apply.

bench/embedded_office.py drives the same office and prints its throughput and latencies.
"""

import http.cookiejar
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import free_port, stop, wait_for_port
from tests.scratch_db import ROOT, manage, scratch_sqlite

OFFICE_SIZE = 16
LOAD_SECONDS = 60
PASSWORD = "marac-demo-2026"  # the demo's documented password (seed_demo)
# Sixteen people of their own, not sixteen sessions of the demo's six: an authenticator's code is
# accepted once per 30-second step. Each takes the roles of one demo person, so the office sees
# what the demo's people see: cases, case pages, meetings and their agendas.
ROLES_OF = ("coordinator", "chair", "agency_rep", "referrer")
# Pages that write an access event (a case read) as well as the session on every view.
CASE_PAGE = re.compile(r"/cases/[A-Z0-9-]+/")
CASE_LINK = re.compile(r'href="(/cases/[A-Z0-9-]+/)"')
MEETING_LINK = re.compile(r'href="(/meetings/\d+/)"')

ADD_PEOPLE = """
from marac.second_factor import AuthenticatorApp
from marac.models import Membership, User
for number in range({count}):
    like = User.objects.get(username={roles!r}[number % {roles_count}])
    person = User.objects.create(username=f"office{{number + 1:02d}}", first_name="Office", last_name=f"Worker {{number + 1}}")
    person.set_password({password!r})
    person.save()
    for membership in like.memberships.all():
        Membership.objects.create(user=person, agency=membership.agency, area=membership.area, role=membership.role)
    device = AuthenticatorApp.objects.create(user=person, name="Phone", confirmed=True)
    print("added", person.username, device.bin_key.hex())
"""


@dataclass
class Office:
    base_url: str
    database: Path
    keys: dict[str, str]  # username -> the hex key of their authenticator
    server_log: Path


@contextmanager
def office_demo(size: int = OFFICE_SIZE) -> Iterator[Office]:
    """The demo on a scratch SQLite file with `size` more people, each enrolled with a second factor,
    served by `manage.py runserver` (threaded, as `make run`) until the block ends."""
    with tempfile.TemporaryDirectory(prefix="marac-office-") as folder:
        database = Path(folder) / "office.sqlite3"
        env = scratch_sqlite(database)
        manage(env, "seed_demo", "--without-packs")  # the office reads pages, not packs: minutes saved
        script = ADD_PEOPLE.format(count=size, roles=ROLES_OF, roles_count=len(ROLES_OF), password=PASSWORD)
        added = [line.split() for line in manage(env, "shell", "-c", script).stdout.splitlines() if line.startswith("added ")]
        keys = {username: key for _, username, key in added}
        port = free_port()
        log = Path(folder) / "server.log"
        with log.open("w") as output:
            # --noreload: one process to stop by its id, and no file watcher taking a core's share
            # from the server. Threaded, as runserver is by default.
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port, server)
            yield Office(f"http://127.0.0.1:{port}", database, keys, log)
        finally:
            stop(server)


def security_code(hex_key: str) -> str:
    """What the person's authenticator app shows now."""
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(hex_key)).token():06d}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 is the answer: a redirect to sign in is not a page


@dataclass
class Person:
    """One person's browser: their own cookies, so their own session."""

    office: Office
    username: str
    pages: list[str] = field(default_factory=list)

    def __post_init__(self):
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self._following = urllib.request.build_opener(cookies)
        self._staying = urllib.request.build_opener(cookies, _NoRedirects())

    def get(self, path: str, *, follow: bool = True) -> tuple[int, str]:
        # Always the test's own server on http://127.0.0.1
        return self._open(urllib.request.Request(self.office.base_url + path), follow=follow)  # noqa: S310

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.office.base_url + path, data=body))  # noqa: S310

    def _open(self, request: urllib.request.Request, *, follow: bool = True) -> tuple[int, str]:
        opener = self._following if follow else self._staying
        try:
            with opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def submit(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        """Post the form on `path` with its CSRF token, as a browser would."""
        status, page = self.get(path)
        assert status == 200, f"{self.username}: GET {path} answered {status}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.post(path, {"csrfmiddlewaretoken": token, **data})

    def sign_in(self) -> "Person":
        self.submit("/sign-in/", {"username": self.username, "password": PASSWORD})
        self.submit("/sign-in/security-code/", {"code": security_code(self.office.keys[self.username])})
        status, _ = self.get("/", follow=False)
        assert status == 200, f"{self.username} did not get in: / answered {status}"
        return self

    def find_pages(self) -> "Person":
        """The case list, the meetings and every case and meeting page this person can open."""
        self.pages = ["/cases/", "/meetings/"]
        for listing, link in (("/cases/", CASE_LINK), ("/meetings/", MEETING_LINK)):
            _, page = self.get(listing)
            self.pages += sorted(set(link.findall(page)))
        return self


def sign_in_office(office: Office) -> list[Person]:
    return [Person(office, username).sign_in().find_pages() for username in sorted(office.keys)]


@dataclass
class Answer:
    path: str
    status: int  # 0: no answer (the connection failed or timed out)
    seconds: float


def drive(people: list[Person], seconds: float, pages: Callable[[Person], list[str]] = lambda person: person.pages) -> list[Answer]:
    """Every person at once, each opening their pages in turn as fast as the server answers."""
    answers: list[Answer] = []
    lock = threading.Lock()
    start = threading.Barrier(len(people))

    def browse(person: Person) -> None:
        mine, paths = [], pages(person)
        start.wait()
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            path = paths[len(mine) % len(paths)]
            began = time.monotonic()
            try:
                status, _ = person.get(path, follow=False)
            except OSError:
                status = 0
            mine.append(Answer(path, status, time.monotonic() - began))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=browse, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def access_events(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM audit_accessevent").fetchone()[0]


def journal_mode(database: Path) -> str:
    with sqlite3.connect(database) as db:
        return db.execute("PRAGMA journal_mode").fetchone()[0]


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded database's settings under load: SQLite only")
def test_sixteen_people_at_once_for_a_minute_get_no_500():
    with office_demo() as office:
        people = sign_in_office(office)
        events_before = access_events(office.database)
        answers = drive(people, LOAD_SECONDS)
        events_written = access_events(office.database) - events_before
        locked = office.server_log.read_text(errors="replace").count("database is locked")
        mode = journal_mode(office.database)
    statuses = Counter(answer.status for answer in answers)
    summary = f"{len(answers)} requests in {LOAD_SECONDS} s, statuses {dict(statuses)}, {locked} 'database is locked' in the server's log"
    assert mode == "wal", summary
    # 0 would be no answer at all: a connection refused or a request that timed out.
    assert not [status for status in statuses if status >= 500 or status == 0], summary
    case_views = sum(1 for answer in answers if CASE_PAGE.fullmatch(answer.path) and answer.status == 200)
    assert events_written >= case_views > 0, f"{events_written} access events for {case_views} case pages; {summary}"
