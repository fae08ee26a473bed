"""Children and Operation Encompass (issue 18, item 6): each child's school and when its
safeguarding lead was told (and by whom), recorded from the case page by the case owners, read by
each role as the field policy says, flagged when missing or later than the next school day, shown
at the meeting and in its pack, and counted on the case owners' home work list."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Role
from marac.security.policy import POLICY, Rel
from marac.viewer import Viewer
from meetings.access import meeting_access_for
from meetings.models import Meeting
from meetings.packs import pack_for
from referrals import closing, emergency, encompass, services
from referrals.encompass import Told, encompass_check, next_school_day
from referrals.household_forms import EncompassForm, encompass_edits
from referrals.models import HouseholdMember
from tests.conftest import grant_hearing, make_case, make_person

TODAY = timezone.localdate()
TOLD_AT = timezone.make_aware(datetime(2026, 3, 2, 8, 15))  # a Monday, GMT
TOLD_AT_SHOWN = "2 March 2026, 08:15"
FIELDS = {"school", "encompass_notified_at", "encompass_notified_by"}


def add_child(case, by, *, name="Child Marker", school="School Marker", is_child=True, **more):
    details = {"name": name, "school": school, **more}
    return services.household_member_add(case=case, details=details, is_child=is_child, by=by, today=TODAY)


def told(member, *, at=TOLD_AT, by="Told By Marker"):
    HouseholdMember.objects.filter(pk=member.pk).update(encompass_notified_at=at)
    member = HouseholdMember.objects.select_related("case__data_key").get(pk=member.pk)
    member.encompass_notified_by = by
    member.save()
    return member


def incident_on(case, by, agency, day):
    services.incident_record(
        case=case, occurred_on=day, kind="violence", police_callout=True, agency=agency, by=by, summary="", today=TODAY
    )


def url(case, member) -> str:
    return f"/cases/{case.reference}/household/{member.pk}/school/"


def form(member, **changes) -> dict:
    """What the form posts for `member`, opened at its current version, with `changes`."""
    member = HouseholdMember.objects.get(pk=member.pk)
    data = {**EncompassForm.version_data(encompass_edits(member), member.row_version)}
    data |= {"school": "Greenhill Primary", "told_on_day": "2", "told_on_month": "3", "told_on_year": "2026", "told_at": "08:15"}
    data["told_by"] = "PC 1234 Smith, Leicestershire Police"
    return {**data, **changes}


# --- The policy ---------------------------------------------------------------------------------

# Written out here, not read from the policy, so a change to the policy must change this test too.
EXPECTED_READ = {
    "referrer": FIELDS,
    "coordinator": FIELDS,
    "chair": FIELDS,
    # The meeting checks the school was told in time; which school, and who told it, it does not need.
    "meeting_rep": {"encompass_notified_at"},
    "auditor": set(),
    "break_glass": set(),
}
PERSONA = {"referrer": "referrer", "coordinator": "coordinator", "chair": "chair", "meeting_rep": "agency_rep"}
PERSONA |= {"auditor": "auditor", "break_glass": "unrelated"}


def test_the_policy_says_who_reads_and_writes_the_notification():
    rules = POLICY["referrals.householdmember"]
    assert rules["encompass_notified_at"].read == {Rel.REFERRER, Rel.COORDINATOR, Rel.CHAIR, Rel.MEETING_REP}
    assert rules["encompass_notified_by"].read == {Rel.REFERRER, Rel.COORDINATOR, Rel.CHAIR}
    assert rules["encompass_notified_at"].write == rules["encompass_notified_by"].write == {Rel.REFERRER, Rel.COORDINATOR}


@pytest.fixture
def child(case_a, referrer):
    return told(add_child(case_a, referrer))


@pytest.fixture
def reader(request, sign_in_fully, case_a, child):
    def as_role(role):
        user = request.getfixturevalue(PERSONA[role])
        if role == "meeting_rep":
            grant_hearing(user, case_a)
        if role == "break_glass":
            ask = emergency.emergency_access_ask(viewer=Viewer.of(user), reference=case_a.reference, reason="emergency").ask
            emergency.emergency_request_decide(ask=ask, approve=True, viewer=Viewer.of(request.getfixturevalue("coordinator")))
        return user, sign_in_fully(user)

    return as_role


@pytest.mark.parametrize("role", EXPECTED_READ)
def test_the_case_page_shows_the_notification_only_to_those_who_may_read_it(reader, case_a, role):
    user, client = reader(role)
    html = client.get(f"/cases/{case_a.reference}/").content.decode()
    shown = {"school": "School Marker", "encompass_notified_at": TOLD_AT_SHOWN, "encompass_notified_by": "Told By Marker"}
    for field, marker in shown.items():
        assert (marker in html) == (field in EXPECTED_READ[role]), (role, field)
    event = AccessEvent.objects.get(user=user, case_reference=case_a.reference, purpose="view case")
    assert {f.removeprefix("household.") for f in event.fields if f.startswith("household.")} & FIELDS == EXPECTED_READ[role]


# --- Recording it -------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["referrer", "coordinator"])
def test_a_case_owner_records_the_school_and_the_notification(request, sign_in_fully, case_a, referrer, owner):
    member = add_child(case_a, referrer, school="")
    person = request.getfixturevalue(owner)
    response = sign_in_fully(person).post(url(case_a, member), form(member))
    assert response.status_code == 302 and response.url == f"/cases/{case_a.reference}/"
    member = HouseholdMember.objects.select_related("case__data_key").get(pk=member.pk)
    assert member.school == "Greenhill Primary" and member.encompass_notified_by == "PC 1234 Smith, Leicestershire Police"
    assert timezone.localtime(member.encompass_notified_at) == TOLD_AT
    event = AccessEvent.objects.get(event="encompass_recorded", user=person)
    assert set(event.fields) == FIELDS and event.case_reference == case_a.reference
    latest = member.history.latest()
    assert latest.history_user == person and latest.encompass_notified_at == member.encompass_notified_at


def test_the_form_opens_with_what_is_recorded_and_logs_it(sign_in_fully, case_a, referrer, child):
    html = sign_in_fully(referrer).get(url(case_a, child)).content.decode()
    assert "School Marker" in html and "Told By Marker" in html and 'value="08:15"' in html
    event = AccessEvent.objects.get(user=referrer, purpose=encompass.PURPOSE)
    assert {"household.name", "household.encompass_notified_at", "household.encompass_notified_by"} <= set(event.fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"told_on_year": str(TODAY.year + 1)}, "must be now or in the past"),
        ({"told_at": ""}, "Enter the time the school"),
        ({"told_on_day": "", "told_on_month": "", "told_on_year": ""}, "Enter the date the school"),
        ({"told_by": ""}, "Say who told the school"),
        ({"told_at": "25:99"}, "24-hour clock"),
        ({"told_on_day": "31", "told_on_month": "2"}, "must be a real date"),
        ({"told_by": "x" * 501}, "Ensure this value has at most 500 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_keeps_what_was_typed(sign_in_fully, case_a, referrer, changes, message):
    member = add_child(case_a, referrer, school="")
    data = form(member, **changes)
    response = sign_in_fully(referrer).post(url(case_a, member), data)
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and message in html
    assert "Greenhill Primary" in html  # nothing typed lost
    if data["told_by"] and len(data["told_by"]) <= 500:
        assert data["told_by"] in html
    member.refresh_from_db()
    assert member.encompass_notified_at is None
    assert not AccessEvent.objects.filter(event="encompass_recorded").exists()


def test_a_notification_for_someone_who_is_not_a_child_is_refused(sign_in_fully, case_a, referrer):
    adult = add_child(case_a, referrer, name="Adult Lodger", school="", is_child=False)
    response = sign_in_fully(referrer).post(url(case_a, adult), form(adult))
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "not recorded as under 18" in html
    assert "PC 1234 Smith" in html
    adult.refresh_from_db()
    assert adult.encompass_notified_at is None


def test_script_in_who_told_them_is_shown_as_text(sign_in_fully, case_a, referrer):
    member = add_child(case_a, referrer)
    client = sign_in_fully(referrer)
    assert client.post(url(case_a, member), form(member, told_by="<script>alert(1)</script>")).status_code == 302
    html = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("persona", ["chair", "auditor"])
def test_people_who_may_see_the_case_but_not_record_this_get_403_logged(request, sign_in_fully, case_a, child, persona):
    person = request.getfixturevalue(persona)
    client = sign_in_fully(person)
    assert client.get(url(case_a, child)).status_code == 403
    assert client.post(url(case_a, child), form(child, told_by="Changed")).status_code == 403
    assert AccessEvent.objects.filter(event="encompass_record_denied", user=person, outcome="denied").count() == 2
    child.refresh_from_db()
    assert child.encompass_notified_by == "Told By Marker"


def test_a_meeting_rep_of_another_agency_gets_403(sign_in_fully, case_a, child, agency_rep):
    grant_hearing(agency_rep, case_a)
    assert sign_in_fully(agency_rep).post(url(case_a, child), form(child)).status_code == 403


@pytest.mark.parametrize("persona", ["unrelated", "agency_rep", "other_coordinator"])
def test_people_with_no_relationship_get_404_logged(request, sign_in_fully, case_a, child, other_area, police, persona):
    person = make_person("cha_coordinator", Role.COORDINATOR, police, other_area) if persona == "other_coordinator" else None
    person = person or request.getfixturevalue(persona)
    response = sign_in_fully(person).post(url(case_a, child), form(child))
    assert response.status_code == 404 and "Child Marker" not in response.content.decode()
    assert AccessEvent.objects.filter(event="case_access_denied", user=person, outcome="denied").exists()
    child.refresh_from_db()
    assert timezone.localtime(child.encompass_notified_at) == TOLD_AT and child.encompass_notified_by == "Told By Marker"


def test_a_household_member_of_another_case_is_404_logged(sign_in_fully, case_a, case_b, referrer):
    theirs = add_child(case_b, referrer)
    response = sign_in_fully(referrer).post(url(case_a, theirs), form(theirs))
    assert response.status_code == 404
    assert AccessEvent.objects.filter(event="case_access_denied", case_reference=case_a.reference, outcome="denied").exists()
    theirs.refresh_from_db()
    assert theirs.encompass_notified_at is None


def test_other_methods_are_refused(sign_in_fully, case_a, referrer, child):
    assert sign_in_fully(referrer).put(url(case_a, child)).status_code == 405


def test_a_colleagues_save_meanwhile_is_merged_not_overwritten(sign_in_fully, case_a, referrer, coordinator):
    member = add_child(case_a, referrer, school="Greenhill Primary")
    opened = form(member, school="Greenhill Primary", told_by="PC 1234 Smith, Leicestershire Police")
    theirs = HouseholdMember.objects.select_related("case__data_key").get(pk=member.pk)
    encompass.encompass_record(
        member=theirs, school="Castle Rock School", notified_at=None, notified_by="", expected_version=theirs.row_version, by=coordinator
    )
    response = sign_in_fully(referrer).post(url(case_a, member), opened)
    html = response.content.decode()
    assert response.status_code == 200 and "Someone else changed this child" in html
    assert 'value="Castle Rock School"' in html and "PC 1234 Smith" in html  # theirs where she typed nothing new; hers kept
    member = HouseholdMember.objects.select_related("case__data_key").get(pk=member.pk)
    assert member.school == "Castle Rock School" and member.encompass_notified_at is None
    again = sign_in_fully(referrer).post(url(case_a, member), form(member, school="Castle Rock School"))
    assert again.status_code == 302


def test_a_forged_version_saves_nothing(sign_in_fully, case_a, referrer):
    member = add_child(case_a, referrer, school="")
    response = sign_in_fully(referrer).post(url(case_a, member), form(member, row_version="0", version_signature="forged"))
    assert response.status_code == 200 and "This form is out of date or incomplete" in response.content.decode()
    member.refresh_from_db()
    assert member.encompass_notified_at is None


# --- Before the next school day -----------------------------------------------------------------


def test_the_next_school_day_skips_weekends_and_bank_holidays():
    assert next_school_day(date(2026, 3, 6), "ENG") == date(2026, 3, 9)  # Friday to Monday
    assert next_school_day(date(2026, 3, 3), "ENG") == date(2026, 3, 4)
    # Christmas Day is a Friday, Boxing Day's substitute the Monday after.
    assert next_school_day(date(2026, 12, 24), "ENG") == date(2026, 12, 29)
    # St Andrew's Day is a bank holiday in Scotland only.
    assert next_school_day(date(2026, 11, 29), "SCT") == date(2026, 12, 1)
    assert next_school_day(date(2026, 11, 29), "ENG") == date(2026, 11, 30)


def at(day: date, hour: int = 19) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.mark.parametrize(
    ("told_at", "prompts", "today", "status", "due"),
    [
        (at(date(2026, 3, 6)), [date(2026, 3, 6)], date(2026, 3, 20), Told.IN_TIME, date(2026, 3, 9)),  # same evening
        (at(date(2026, 3, 9), 8), [date(2026, 3, 6)], date(2026, 3, 20), Told.IN_TIME, date(2026, 3, 9)),  # Monday morning
        (at(date(2026, 3, 10), 8), [date(2026, 3, 6)], date(2026, 3, 20), Told.LATE, date(2026, 3, 9)),
        # Told about the first incident: the later one has not been told about, but the check is of what was told.
        (at(date(2026, 3, 2)), [date(2026, 3, 2), date(2026, 3, 12)], date(2026, 3, 20), Told.IN_TIME, date(2026, 3, 3)),
        (None, [date(2026, 3, 6)], date(2026, 3, 9), Told.DUE, date(2026, 3, 9)),
        (None, [date(2026, 3, 6)], date(2026, 3, 10), Told.NOT_TOLD, date(2026, 3, 9)),
        (None, [], date(2026, 3, 10), Told.NOT_TOLD, None),
        (at(date(2026, 3, 6)), [], date(2026, 3, 10), Told.TOLD, None),
    ],
)
def test_it_checks_the_school_was_told_by_the_next_school_day(told_at, prompts, today, status, due):
    check = encompass_check(told_at, prompts, nation="ENG", today=today)
    assert (check.status, check.due_by) == (status, due)
    assert check.flagged == (status in (Told.LATE, Told.NOT_TOLD))


def test_the_case_page_flags_a_child_not_told_and_one_told_late(sign_in_fully, case_a, referrer, idva):
    incident_on(case_a, referrer, idva, TODAY - timedelta(days=20))
    in_time = told(add_child(case_a, referrer, name="Told In Time"), at=at(TODAY - timedelta(days=20)))
    late = told(add_child(case_a, referrer, name="Told Late"), at=at(TODAY - timedelta(days=10)))
    add_child(case_a, referrer, name="Never Told")
    html = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/").content.decode()
    section = html[html.index('id="operation-encompass"') :]
    assert "2 children's schools were not told before the next school day, or not told at all" in section
    rows = {
        name: section[section.index(name) : section.index("</tr>", section.index(name))]
        for name in ("Told In Time", "Told Late", "Never Told")
    }
    assert "Told in time" in rows["Told In Time"] and "govuk-tag--red" not in rows["Told In Time"]
    assert "Told late" in rows["Told Late"] and "govuk-tag--red" in rows["Told Late"]
    assert "Not told: it was due by" in rows["Never Told"] and "govuk-tag--red" in rows["Never Told"]
    assert f"/household/{in_time.pk}/school/" in rows["Told In Time"] and f"/household/{late.pk}/school/" in rows["Told Late"]


def test_an_auditor_sees_no_check_and_no_change_link(sign_in_fully, case_a, child, auditor):
    html = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Told in time" not in html and "Not told" not in html and "/school/" not in html


def test_adults_are_not_listed_for_operation_encompass(sign_in_fully, case_a, referrer):
    add_child(case_a, referrer, name="Adult Lodger", is_child=False)
    html = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/").content.decode()
    assert 'id="operation-encompass"' not in html


# --- At the meeting -----------------------------------------------------------------------------


def test_the_meeting_case_page_shows_when_the_school_was_told_but_not_who_told_it(sign_in_fully, case_a, child, agency_rep):
    grant_hearing(agency_rep, case_a)
    meeting = Meeting.objects.get(agenda_items__case=case_a)
    html = sign_in_fully(agency_rep).get(f"/meetings/{meeting.pk}/cases/{case_a.reference}/").content.decode()
    assert "School told (Operation Encompass)" in html and TOLD_AT_SHOWN in html
    assert "Told By Marker" not in html and "School Marker" not in html
    event = AccessEvent.objects.filter(user=agency_rep, case_reference=case_a.reference, outcome="allowed").latest("pk")
    assert "household.encompass_notified_at" in event.fields and "household.encompass_notified_by" not in event.fields


def test_the_pack_shows_each_reader_what_the_policy_lets_them(case_a, child, agency_rep, coordinator):
    grant_hearing(agency_rep, case_a)
    meeting = Meeting.objects.get(agenda_items__case=case_a)
    rep = pack_for(meeting_access_for(Viewer.of(agency_rep), meeting.pk), "pack")
    assert TOLD_AT_SHOWN in rep.html and "Told By Marker" not in rep.html and "Withheld" in rep.html
    assert "household.encompass_notified_at" in rep.reads[case_a.reference]
    assert "household.encompass_notified_by" not in rep.reads[case_a.reference]
    meeting.coordinator = coordinator
    meeting.save()
    theirs = pack_for(meeting_access_for(Viewer.of(coordinator), meeting.pk), "pack")
    assert TOLD_AT_SHOWN in theirs.html and "Told By Marker" in theirs.html
    assert "household.encompass_notified_by" in theirs.reads[case_a.reference]


# --- The home page's work list ------------------------------------------------------------------


def counted(user, provider, django_assert_num_queries) -> int:
    viewer = Viewer.of(user)
    viewer.pairs_for(Role.REFERRER), viewer.areas_for(Role.COORDINATOR)  # the memberships, loaded before counting
    with django_assert_num_queries(1):
        (item,) = provider(viewer)
    assert item.label == "Schools not told (Operation Encompass)" and item.url == "/cases/"
    return item.count


def test_the_work_list_counts_children_on_open_cases_whose_school_was_not_told(
    django_assert_num_queries, area, other_area, idva, case_a, case_b, referrer, coordinator, child
):
    add_child(case_a, referrer, name="Not Told A")
    add_child(case_b, referrer, name="Not Told B")
    add_child(case_b, referrer, name="Adult", is_child=False)
    elsewhere = make_person("cha_referrer", Role.REFERRER, idva, other_area)
    add_child(make_case(other_area, idva, elsewhere), elsewhere, name="Elsewhere")
    assert counted(referrer, encompass.referrer_work, django_assert_num_queries) == 2
    assert counted(coordinator, encompass.coordinator_work, django_assert_num_queries) == 2
    closing.case_close(case=case_b, reason="risk_reduced", by=coordinator)
    assert counted(referrer, encompass.referrer_work, django_assert_num_queries) == 1
    assert counted(coordinator, encompass.coordinator_work, django_assert_num_queries) == 1
    assert counted(elsewhere, encompass.referrer_work, django_assert_num_queries) == 1


def test_people_with_neither_role_get_no_item(agency_rep, auditor):
    assert encompass.referrer_work(Viewer.of(agency_rep)) == [] and encompass.coordinator_work(Viewer.of(auditor)) == []


def test_the_home_page_shows_the_item(sign_in_fully, case_a, referrer):
    add_child(case_a, referrer, name="Not Told A")
    html = sign_in_fully(referrer).get("/").content.decode()
    assert "Schools not told (Operation Encompass)" in html and "Not Told A" not in html


def test_a_break_glass_holder_gets_a_logged_403_on_the_form_and_sees_no_school(reader, case_a, child):
    user, client = reader("break_glass")
    for response in (client.get(url(case_a, child)), client.post(url(case_a, child), form(child, told_by="Changed"))):
        assert response.status_code == 403
        assert "School Marker" not in response.content.decode() and "Told By Marker" not in response.content.decode()
    assert AccessEvent.objects.filter(event="encompass_record_denied", user=user, outcome="denied").count() == 2
    child.refresh_from_db()
    assert child.encompass_notified_by == "Told By Marker"
