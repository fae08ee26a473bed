"""Every role x every sensitive field x every surface that exists so far (the case page, the
case list, the victim form, the access log). The expected table is written out here, not read
from marac/security/policy.py, so a change to the policy must change this test too."""

from datetime import date

import pytest

from audit.models import AccessEvent
from marac.models import Role
from marac.security.policy import POLICY
from marac.viewer import Viewer
from referrals import emergency
from referrals.forms import EDITABLE, VictimForm, victim_edits
from tests.conftest import grant_hearing, make_case, make_person

MARKERS = {
    "name": "Name Marker",
    "aliases": ["Alias Marker"],
    "date_of_birth": date(1980, 1, 2),
    "alternative_dates_of_birth": ["1981-03-04"],
    "address": "Address Marker",
    "phone": "Phone Marker",
    "email": "email.marker@example.org",
    "safe_address": "Safe Address Marker",
    "safe_phone": "Safe Phone Marker",
    "safe_times": "Safe Times Marker",
    "do_not_contact_via": "Never Via Marker",
    "gender": "non_binary",
    "ethnic_group": "black",
    "disabled": "yes",
    "lgbt": "yes",
    "language": "Language Marker",
    "needs_interpreter": True,
}
SHOWN_AS = {
    "date_of_birth": "2 January 1980",
    "aliases": "Alias Marker",
    "alternative_dates_of_birth": "4 March 1981",
    "gender": "Non-binary or other",
    "ethnic_group": "Black, Black British, Caribbean or African",
}
# "Yes" appears on the page for other reasons too, so these are checked through the count of
# "Withheld" tags instead of by their text.
NOT_UNIQUE = {"disabled", "lgbt", "needs_interpreter"}

IDENTITY = {
    "name",
    "aliases",
    "date_of_birth",
    "alternative_dates_of_birth",
    "gender",
    "ethnic_group",
    "disabled",
    "lgbt",
    "language",
    "needs_interpreter",
}
CONTACT = {"address", "phone", "email"}
SAFE = {"safe_address", "safe_phone", "safe_times", "do_not_contact_via"}
ALL = IDENTITY | CONTACT | SAFE
EXPECTED_READ = {
    "referrer": ALL,
    "coordinator": ALL,
    "chair": IDENTITY | CONTACT,
    "meeting_rep": IDENTITY,
    "auditor": set(),
    # Emergency access reads at most what a meeting representative reads (ADR 0020) ...
    "break_glass": IDENTITY,
    "break_glass_own_area": IDENTITY,
    # ... unless its approver extended it, with a reason, to the current address and phone; never more.
    "break_glass_extended": IDENTITY | CONTACT,
}
EXPECTED_WRITE = {
    "referrer": ALL,
    "coordinator": ALL,
    "chair": set(),
    "meeting_rep": set(),
    "auditor": set(),
    "break_glass": set(),
    "break_glass_own_area": set(),
    "break_glass_extended": set(),
}
PERSONA = {
    "referrer": "referrer",
    "coordinator": "coordinator",
    "chair": "chair",
    "meeting_rep": "agency_rep",
    "auditor": "auditor",
    "break_glass": "unrelated",  # works in another area: the case area's coordinator approves
    "break_glass_extended": "unrelated",
    "break_glass_own_area": "colleague_elsewhere_in_the_area",
}


def shown(field: str) -> str:
    return SHOWN_AS.get(field, MARKERS[field])


@pytest.fixture
def colleague_elsewhere_in_the_area(area, police):
    """Refers for another agency in the case's area: no tie to the case, so self-service there."""
    return make_person("colleague", Role.REFERRER, police, area)


@pytest.fixture
def marked_case(area, idva, referrer):
    return make_case(area, idva, referrer, **MARKERS)


@pytest.fixture
def reader(request, sign_in_fully, marked_case):
    def as_role(role):
        user = request.getfixturevalue(PERSONA[role])
        if role == "meeting_rep":
            grant_hearing(user, marked_case)
        if role.startswith("break_glass"):
            ask = emergency.emergency_access_ask(viewer=Viewer.of(user), reference=marked_case.reference, reason="emergency").ask
            if ask.status == ask.Status.PENDING:
                approver = Viewer.of(request.getfixturevalue("coordinator"))
                extension = "visit_now" if role == "break_glass_extended" else ""
                emergency.emergency_request_decide(ask=ask, approve=True, extension_reason=extension, viewer=approver)
        return user, sign_in_fully(user)

    return as_role


def test_the_policy_covers_exactly_the_fields_this_test_expects():
    assert set(POLICY["referrals.victim"]) == ALL == set(MARKERS)


@pytest.mark.parametrize("role", EXPECTED_READ)
def test_case_page_shows_readable_fields_and_withholds_the_rest(reader, marked_case, role):
    user, client = reader(role)
    html = client.get(f"/cases/{marked_case.reference}/").content.decode()
    for field in ALL - NOT_UNIQUE:
        assert (shown(field) in html) == (field in EXPECTED_READ[role]), (role, field)
    assert html.count("Withheld") == len(ALL - EXPECTED_READ[role])
    event = AccessEvent.objects.get(user=user, case_reference=marked_case.reference, purpose="view case")
    assert set(event.fields) == EXPECTED_READ[role]


@pytest.mark.parametrize("role", EXPECTED_READ)
def test_case_list_shows_the_name_only_to_those_who_may_read_it(reader, marked_case, role):
    _, client = reader(role)
    html = client.get("/cases/").content.decode()
    assert marked_case.reference in html
    assert ("Name Marker" in html) == ("name" in EXPECTED_READ[role])
    assert ("Withheld" in html) == ("name" not in EXPECTED_READ[role])
    assert not any(shown(field) in html for field in ALL - {"name"} - NOT_UNIQUE)


@pytest.mark.parametrize("role", EXPECTED_WRITE)
def test_victim_form_offers_exactly_the_writable_fields(reader, marked_case, role):
    _, client = reader(role)
    response = client.get(f"/cases/{marked_case.reference}/victim/")
    editable = EXPECTED_WRITE[role] & set(EDITABLE)
    if not editable:
        assert response.status_code == 403
        return
    assert set(response.context["form"].fields) - {"row_version", "version_signature"} == editable
    html = response.content.decode()
    for field in ALL - editable - NOT_UNIQUE:
        assert shown(field) not in html, field
    event = AccessEvent.objects.get(case_reference=marked_case.reference, purpose="edit victim")
    assert set(event.fields) == editable


def test_a_reader_who_may_not_write_cannot_post_changes(reader, marked_case):
    _, client = reader("chair")
    response = client.post(f"/cases/{marked_case.reference}/victim/", {"safe_address": "Changed"})
    assert response.status_code == 403
    marked_case.victim.refresh_from_db()
    assert marked_case.victim.safe_address == "Safe Address Marker"


def test_fields_outside_the_form_cannot_be_smuggled_in(reader, marked_case):
    from referrals.models import Victim

    _, client = reader("referrer")
    form = {
        "name": "Name Marker",
        "date_of_birth_day": "2",
        "date_of_birth_month": "1",
        "date_of_birth_year": "1980",
        "gender": "non_binary",
        "ethnic_group": "black",
        "disabled": "yes",
        "lgbt": "yes",
        "aliases": '["Injected"]',
        "case": "999",
        **VictimForm.version_data(victim_edits(marked_case.victim), marked_case.victim.row_version),
        "uuid": "00000000-0000-0000-0000-000000000000",
    }
    response = client.post(f"/cases/{marked_case.reference}/victim/", form)
    assert response.status_code == 302
    victim = Victim.objects.select_related("case__data_key").get(pk=marked_case.victim.pk)
    assert victim.aliases == ["Alias Marker"] and victim.case_id == marked_case.pk
    assert victim.uuid == marked_case.victim.uuid


def test_templates_get_a_summary_that_cannot_reach_the_victim(sign_in_fully, auditor, case_a):
    response = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/")
    summary = response.context["case"]
    assert not hasattr(summary, "victim") and summary.reference == case_a.reference
    rows = sign_in_fully(auditor).get("/cases/").context["rows"]
    assert all(not hasattr(row[0], "victim") for row in rows)
