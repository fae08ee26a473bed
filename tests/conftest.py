"""Shared personas: one person per role, plus a signed-in person with no relationship to
anything under test. Tests sign people in fully (both factors) with `sign_in_fully`."""

import functools
import shutil
import subprocess
from datetime import date

import pytest
from django.contrib.auth.hashers import make_password
from django_otp import DEVICE_ID_SESSION_KEY

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp

PASSWORD = "correct-horse-battery-7"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a minute or more against a real server process; leave out with -m 'not slow'")


def poppler(tool: str, *args: str) -> str:
    """What a poppler-utils tool (pdftotext, pdfinfo) prints. A missing or broken tool fails the
    test by name: a suite run while poppler-utils was still being installed once failed the ten
    pack tests that read their PDF with bare FileNotFoundErrors, which read like flaky rendering."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: the PDF tests need poppler-utils (Debian: apt-get install poppler-utils).")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{tool} failed with exit code {result.returncode}: {result.stderr.strip()[:300]}")
    return result.stdout


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return make_password(PASSWORD)


def make_person(username: str, role: str, agency: Agency, area: MaracArea, *, enrolled: bool = True) -> User:
    user = User.objects.create(username=username, password=_password_hash())
    Membership.objects.create(user=user, agency=agency, area=area, role=role)
    if enrolled:
        AuthenticatorApp.objects.create(user=user, name="Phone", confirmed=True)
    return user


@pytest.fixture
def area(db):
    return MaracArea.objects.create(name="North West Leicestershire", short_code="NWL")


@pytest.fixture
def other_area(db):
    return MaracArea.objects.create(name="Charnwood", short_code="CHA")


@pytest.fixture
def idva(db):
    return Agency.objects.create(name="Loughborough Women's Aid", kind=AgencyKind.IDVA)


@pytest.fixture
def police(db):
    return Agency.objects.create(name="Leicestershire Police", kind=AgencyKind.POLICE)


@pytest.fixture
def childrens_services(db):
    return Agency.objects.create(name="Leicestershire Children's Social Care", kind=AgencyKind.CHILDRENS_SOCIAL_CARE)


@pytest.fixture
def referrer(area, idva):
    return make_person("referrer", Role.REFERRER, idva, area)


@pytest.fixture
def coordinator(area, police):
    return make_person("coordinator", Role.COORDINATOR, police, area)


@pytest.fixture
def chair(area, police):
    return make_person("chair", Role.CHAIR, police, area)


@pytest.fixture
def agency_rep(area, childrens_services):
    return make_person("agency_rep", Role.AGENCY_REP, childrens_services, area)


@pytest.fixture
def auditor(area, police):
    return make_person("auditor", Role.AUDITOR, police, area)


@pytest.fixture
def admin_user(area, police):
    return make_person("admin", Role.ADMIN, police, area)


@pytest.fixture
def unrelated(other_area, idva):
    """Signed in with both factors, but works in another area and has no tie to the case."""
    return make_person("unrelated", Role.REFERRER, idva, other_area)


@pytest.fixture
def new_starter(area, idva):
    """Has a password but has not set up an authenticator yet."""
    return make_person("new_starter", Role.REFERRER, idva, area, enrolled=False)


def sign_in_with_both_factors(client, user: User):
    """Sign a person in with both factors, as if they had completed the sign-in pages."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = AuthenticatorApp.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


@pytest.fixture
def sign_in_fully(client):
    return lambda user: sign_in_with_both_factors(client, user)


@pytest.fixture
def sign_in_password_only(client):
    def sign_in(user: User):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


def make_case(area: MaracArea, agency: Agency, by: User, **victim):
    from referrals.services import case_create

    victim.setdefault("name", "Test Person")
    return case_create(area=area, referring_agency=agency, victim=victim, by=by)


@pytest.fixture
def case_a(area, idva, referrer):
    """A case in the referrer's area, referred by the referrer's agency."""
    return make_case(
        area,
        idva,
        referrer,
        name="Sarah Mitchell",
        date_of_birth=date(1989, 3, 14),
        address="14 Belvoir Road, Coalville",
        safe_address="Flat 2, 9 Ashby Road, Shepshed",
        safe_phone="07700 900456",
        phone="07700 900123",
    )


@pytest.fixture
def case_b(area, idva, referrer):
    return make_case(
        area,
        idva,
        referrer,
        name="Aisha Rahman",
        date_of_birth=date(1994, 11, 2),
        address="3 Agar Nook Lane, Coalville",
        safe_address="Care of the health centre",
    )


def grant_hearing(user: User, case, agency: Agency | None = None) -> None:
    """Make `user` a representative hearing `case` the way the service does: a meeting listing the
    case, its agenda issued, and the user's acceptance of its confidentiality statement."""
    from datetime import timedelta

    from django.utils import timezone

    from meetings import services as meetings
    from meetings.models import Meeting

    agency = agency or user.memberships.get(role=Role.AGENCY_REP, area=case.area).agency
    meeting = Meeting.objects.filter(area=case.area, status=Meeting.Status.AGENDA_ISSUED, invited_agencies=agency).first()
    if meeting is None:
        meeting = meetings.meeting_schedule(
            area=case.area,
            starts_at=timezone.now() + timedelta(days=20),
            venue="Room 1",
            online=False,
            chair=user,
            coordinator=user,
            agencies=[agency],
            by=user,
        )
        meetings.agenda_add(meeting=meeting, case=case, because="review", by=user)
        meetings.agenda_issue(meeting=meeting, by=user)
    elif not meeting.agenda_items.filter(case=case, removed_at=None).exists():
        meeting.status = Meeting.Status.SCHEDULED  # reopen the test meeting's agenda to list one more case
        meeting.save()
        meetings.agenda_add(meeting=meeting, case=case, because="review", by=user)
        meetings.agenda_issue(meeting=meeting, by=user)
    meetings.confidentiality_accept(meeting=meeting, user=user, agency=agency)
