"""Assessments made with other risk tools (issue 18 item 1, ADR 0024): versioned definitions with no
question wording, recorded as the tool gave them with the area's criteria kept, shown on the case
page through the field policy, and recorded only by the case's owners."""

import re
from dataclasses import fields
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from audit.models import AccessEvent
from marac.models import Agency, AgencyKind, Role
from referrals import risk_tool_services, risk_tools
from referrals.models import AreaToolCriteria, Referral, ToolAssessment
from tests.conftest import grant_hearing, make_person

TODAY = date.today()
RATIONALE = "Officer's rationale: strangulation disclosed at the call-out"


def record(case, by, agency, *, tool="dara", version="1", level="high", on=None, rationale=RATIONALE):
    return risk_tool_services.tool_assessment_record(
        case=case,
        tool=tool,
        version=version,
        level=level,
        assessed_on=on or TODAY - timedelta(days=1),
        agency=agency,
        rationale=rationale,
        by=by,
        today=TODAY,
    )


def form_data(**changes) -> dict:
    day = TODAY - timedelta(days=2)
    data = {
        "tool": "dara:1",
        "level": "high",
        "assessed_on_day": str(day.day),
        "assessed_on_month": str(day.month),
        "assessed_on_year": str(day.year),
        "rationale": RATIONALE,
    }
    return {**data, **changes}


@pytest.fixture
def police_data(police):
    return {"assessing_agency": str(police.pk)}


# The definitions


def test_the_definitions_hold_no_question_wording():
    assert {f.name for f in fields(risk_tools.RiskTool)} == {"code", "version", "title", "publisher", "levels", "variant_of"}
    assert set(risk_tools.TOOL_CODES) == {"police-dash", "dara", "dash-young-people", "dash-older-people"}


def test_variants_of_the_dash_are_marked_and_dara_is_not():
    assert risk_tools.DARA.variant_of == ""
    assert {t.code for t in risk_tools.TOOLS.values() if t.variant_of} == {"police-dash", "dash-young-people", "dash-older-people"}
    assert risk_tools.DARA.name == "DARA (College of Policing) v1"


def test_without_a_setting_an_area_counts_the_tools_top_level(area):
    assert risk_tool_services.high_risk_levels_for(area=area, tool="dara") == ["high"]


def test_an_areas_criteria_must_be_levels_the_tool_gives(area):
    with pytest.raises(ValidationError, match="levels"):
        AreaToolCriteria(area=area, tool="dara", high_risk_levels=["extreme"]).full_clean()
    with pytest.raises(ValidationError):
        AreaToolCriteria(area=area, tool="dara", high_risk_levels=[]).full_clean()
    AreaToolCriteria(area=area, tool="dara", high_risk_levels=["medium", "high"]).full_clean()


def test_an_administrator_sets_an_areas_criteria_in_the_admin_with_history(client, sign_in_fully, admin_user, area):
    sign_in_fully(admin_user)
    url = "/admin/referrals/areatoolcriteria/add/"
    response = client.post(url, {"area": area.pk, "tool": "dara", "high_risk_levels": ["medium", "high"]})
    assert response.status_code == 302
    criteria = AreaToolCriteria.objects.get(area=area, tool="dara")
    assert criteria.high_risk_levels == ["medium", "high"] and criteria.history.count() == 1
    assert risk_tool_services.high_risk_levels_for(area=area, tool="dara") == ["medium", "high"]
    refused = client.post(url, {"area": area.pk, "tool": "police-dash", "high_risk_levels": ["extreme"]})
    assert refused.status_code == 200 and not AreaToolCriteria.objects.filter(tool="police-dash").exists()
    assert client.get(f"/admin/referrals/areatoolcriteria/{criteria.pk}/delete/").status_code == 403


def test_the_admin_refuses_everyone_but_administrators(client, sign_in_fully, coordinator):
    sign_in_fully(coordinator)
    assert client.get("/admin/referrals/areatoolcriteria/").status_code == 403
    assert client.post("/admin/referrals/areatoolcriteria/add/", {"tool": "dara", "high_risk_levels": ["standard"]}).status_code == 403
    assert not AreaToolCriteria.objects.exists()


# Recording


def test_an_assessment_keeps_the_areas_criteria_when_it_was_recorded(case_a, referrer, police, area):
    AreaToolCriteria.objects.create(area=area, tool="dara", high_risk_levels=["medium", "high"])
    medium = record(case_a, referrer, police, level="medium")
    assert medium.high_risk_levels == ["medium", "high"] and medium.meets_high_risk
    AreaToolCriteria.objects.filter(area=area).update(high_risk_levels=["high"])
    again = ToolAssessment.objects.select_related("case__data_key").get(pk=medium.pk)
    assert again.meets_high_risk  # a later change of setting does not rewrite what it met
    assert not record(case_a, referrer, police, level="medium").meets_high_risk


def test_the_rationale_is_stored_encrypted_and_recorded_in_history(case_a, referrer, police):
    made = record(case_a, referrer, police)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rationale FROM referrals_toolassessment WHERE id = %s", [made.pk])
        stored = bytes(cursor.fetchone()[0])
    assert b"strangulation" not in stored
    assert made.history.count() == 1
    assert AccessEvent.objects.filter(event="tool_assessment_recorded", case_reference=case_a.reference).exists()


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"tool": "oasys"}, "tool", "Choose the risk tool"),
        ({"version": "9"}, "tool", "Choose the risk tool"),
        ({"on": TODAY + timedelta(days=1)}, "assessed_on", "today or in the past"),
        ({"rationale": "   "}, "rationale", "rationale"),
    ],
)
def test_the_service_refuses_bad_input(case_a, referrer, police, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        record(case_a, referrer, police, **changes)
    assert message in " ".join(refused.value.message_dict[field])
    assert not ToolAssessment.objects.exists()


def test_a_level_the_tool_does_not_give_is_refused(case_a, referrer, police, monkeypatch):
    two = risk_tools.RiskTool("two-level", "1", "Two-level tool", "", (("low", "Low"), ("high", "High")))
    monkeypatch.setitem(risk_tools.TOOLS, ("two-level", "1"), two)
    with pytest.raises(ValidationError) as refused:
        record(case_a, referrer, police, tool="two-level", level="medium")
    assert "Choose a level Two-level tool v1 gives: low, high" in refused.value.message_dict["level"]


# The pages


def test_a_case_owner_records_one_and_the_case_page_shows_it(sign_in_fully, referrer, case_a, police_data):
    client = sign_in_fully(referrer)
    response = client.post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data))
    assert response.status_code == 302
    made = ToolAssessment.objects.select_related("case__data_key").get(case=case_a)
    assert (made.tool, made.tool_version, made.level, made.rationale) == ("dara", "1", "high", RATIONALE)
    page = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "DARA (College of Policing) v1" in page and RATIONALE.replace("'", "&#x27;") in page
    assert "visible high risk in this area" in page
    read = AccessEvent.objects.filter(event="case_read", case_reference=case_a.reference).order_by("-sequence").first()
    assert {"toolassessment.level", "toolassessment.rationale"} <= set(read.fields)


def test_the_coordinator_may_record_one_too(sign_in_fully, coordinator, case_a, police_data):
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data))
    assert response.status_code == 302 and ToolAssessment.objects.filter(case=case_a).count() == 1


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"tool": "oasys:1"}, "Choose one of the risk tools"),
        ({"level": "extreme"}, "Choose one of the levels"),
        ({"assessed_on_year": str(TODAY.year + 1)}, "today or in the past"),
        ({"rationale": ""}, "Give the assessor&#x27;s rationale"),
        ({"rationale": "x" * 2001}, "2000 characters"),
        ({"assessing_agency": "99999999999999999999999"}, "Choose one of the agencies"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_keeps_what_was_typed(sign_in_fully, referrer, case_a, police_data, changes, message):
    data = form_data(**{**police_data, **changes})
    if "rationale" not in changes:
        data["rationale"] = "Typed <script>alert(1)</script> and kept"
    response = sign_in_fully(referrer).post(f"/cases/{case_a.reference}/other-risk-tools/new/", data)
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and message in html
    if "rationale" not in changes:
        assert "Typed &lt;script&gt;alert(1)&lt;/script&gt; and kept" in html and "<script>alert(1)" not in html
    assert not ToolAssessment.objects.exists()


def test_another_areas_coordinator_gets_a_404_logged(client, sign_in_fully, other_area, police, case_a, police_data):
    elsewhere = make_person("elsewhere", Role.COORDINATOR, police, other_area)
    client = sign_in_fully(elsewhere)
    assert client.get(f"/cases/{case_a.reference}/other-risk-tools/new/").status_code == 404
    assert client.post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data)).status_code == 404
    assert AccessEvent.objects.filter(event="case_access_denied", user=elsewhere, case_reference=case_a.reference).count() == 2
    assert not ToolAssessment.objects.exists()


def test_an_unrelated_person_gets_a_404(sign_in_fully, unrelated, case_a, police_data):
    assert sign_in_fully(unrelated).post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data)).status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "chair", "agency_rep"])
def test_those_who_may_not_write_it_get_a_403_logged(request, sign_in_fully, case_a, police_data, persona):
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, case_a)
    client = sign_in_fully(person)
    assert client.get(f"/cases/{case_a.reference}/other-risk-tools/new/").status_code == 403
    assert client.post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data)).status_code == 403
    assert AccessEvent.objects.filter(event="tool_assessment_denied", user=person, case_reference=case_a.reference).count() == 2
    assert not ToolAssessment.objects.exists()


def test_another_agencys_referrer_in_the_area_gets_a_404(sign_in_fully, area, case_a, police_data):
    housing = Agency.objects.create(name="Housing Association", kind=AgencyKind.HOUSING)
    other = make_person("housing_worker", Role.REFERRER, housing, area)
    assert sign_in_fully(other).post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(**police_data)).status_code == 404


def test_an_auditor_sees_that_one_was_recorded_but_not_the_tool_level_or_rationale(sign_in_fully, auditor, referrer, police, case_a):
    record(case_a, referrer, police)
    html = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Assessments with other risk tools" in html and police.name in html
    assert "DARA" not in html and "strangulation" not in html
    assert "Record an assessment made with another risk tool" not in html
    read = AccessEvent.objects.filter(event="case_read", user=auditor).order_by("-sequence").first()
    assert "toolassessment.level" not in read.fields and "toolassessment.rationale" not in read.fields


def test_a_meeting_rep_reads_the_level_and_rationale_as_the_checklist(sign_in_fully, agency_rep, referrer, police, case_a):
    record(case_a, referrer, police, level="medium")
    grant_hearing(agency_rep, case_a)
    html = sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").content.decode()
    assert "DARA (College of Policing) v1" in html and "strangulation" in html
    assert "Record an assessment made with another risk tool" not in html


# A referral resting on another tool's assessment


def refer_url(case, record) -> str:
    return f"/cases/{case.reference}/other-risk-tools/{record.pk}/refer/"


def test_a_referral_rests_on_a_dara_assessment_and_triage_shows_it(sign_in_fully, referrer, coordinator, police, case_a):
    high = record(case_a, referrer, police)
    response = sign_in_fully(referrer).post(refer_url(case_a, high), {"consent": "given"})
    assert response.status_code == 302
    referral = Referral.objects.get(case=case_a)
    assert referral.tool_assessment_id == high.pk and referral.assessment_id is None
    assert referral.criteria == ["visible_high_risk"] and referral.status == Referral.Status.SUBMITTED
    triage = sign_in_fully(coordinator).get("/referrals/triage/?risk=high").content.decode()
    assert case_a.reference in triage and "DARA (College of Policing) v1: high" in triage
    assert case_a.reference not in sign_in_fully(coordinator).get("/referrals/triage/?risk=medium").content.decode()


def test_a_level_the_area_does_not_count_as_high_meets_no_criterion(sign_in_fully, referrer, police, case_a):
    medium = record(case_a, referrer, police, level="medium")
    response = sign_in_fully(referrer).post(refer_url(case_a, medium), {"consent": "without", "without_consent_reason": "Kept text"})
    html = response.content.decode()
    assert response.status_code == 200 and "meets no MARAC referral criterion" in html and "Kept text" in html
    assert not Referral.objects.exists()


def test_an_area_counting_medium_as_high_refers_a_medium_level(referrer, police, case_a, area):
    AreaToolCriteria.objects.create(area=area, tool="dara", high_risk_levels=["medium", "high"])
    medium = record(case_a, referrer, police, level="medium")
    referral = risk_tool_services.tool_referral_submit(record=medium, by=referrer, agency=police, consent="given", today=TODAY)
    assert referral.criteria == ["visible_high_risk"]


def test_one_referral_per_assessment(referrer, police, case_a):
    high = record(case_a, referrer, police)
    risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    with pytest.raises(ValidationError, match="already been made"):
        risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)


def test_the_database_holds_a_referral_to_exactly_one_assessment(referrer, police, case_a):
    high = record(case_a, referrer, police)
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(tool_assessment=None)


@pytest.mark.parametrize("persona,status", [("auditor", 403), ("chair", 403), ("unrelated", 404)])
def test_only_the_case_owners_may_refer_on_it(request, sign_in_fully, referrer, police, case_a, persona, status):
    high = record(case_a, referrer, police)
    person = request.getfixturevalue(persona)
    assert sign_in_fully(person).post(refer_url(case_a, high), {"consent": "given"}).status_code == status
    assert AccessEvent.objects.filter(user=person, outcome=AccessEvent.Outcome.DENIED).exists()
    assert not Referral.objects.exists()


def test_another_cases_assessment_id_is_a_404_logged(sign_in_fully, referrer, police, case_a, case_b):
    on_b = record(case_b, referrer, police)
    assert sign_in_fully(referrer).post(refer_url(case_a, on_b), {"consent": "given"}).status_code == 404
    assert AccessEvent.objects.filter(event="case_access_denied", case_reference=case_a.reference).exists()
    assert not Referral.objects.exists()


def test_the_meetings_case_page_shows_the_tool_and_level_where_it_shows_a_score(
    sign_in_fully, area, referrer, coordinator, chair, police, idva, case_a
):
    from django.utils import timezone

    from meetings import services as meetings
    from referrals import services

    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room 4, Coalville",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police, idva],
        by=coordinator,
    )
    high = record(case_a, referrer, police)
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    services.referral_decide(referral=referral, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    meetings.agenda_build(meeting=meeting, by=coordinator)
    assert list(meeting.agenda_items.values_list("referral_id", flat=True)) == [referral.pk]
    html = sign_in_fully(coordinator).get(f"/meetings/{meeting.pk}/cases/{case_a.reference}/").content.decode()
    assert "(high risk, DARA (College of Policing) v1: high)" in html and "score None" not in html


# Review of issue 18 (hostile cases)


def test_someone_who_may_not_refer_learns_nothing_of_which_ids_are_this_cases(sign_in_fully, chair, referrer, police, case_a, case_b):
    """The chair may open the case but not refer on it: the same logged 403 for one of its own
    assessments, another case's and one that exists nowhere, so ids cannot be probed."""
    on_a, on_b = record(case_a, referrer, police), record(case_b, referrer, police)
    client = sign_in_fully(chair)
    for pk in (on_a.pk, on_b.pk, 999999):
        assert client.get(f"/cases/{case_a.reference}/other-risk-tools/{pk}/refer/").status_code == 403
    assert AccessEvent.objects.filter(event="tool_referral_denied", user=chair).count() == 3
    assert not Referral.objects.exists()


def test_an_earlier_version_counts_its_own_top_level_not_the_newest_versions(case_a, referrer, police, area, monkeypatch):
    """A second version of DARA naming its levels differently must not leave a first-version
    "high" meeting no criterion (with no setting, or a setting only for the new levels)."""
    later = risk_tools.RiskTool("dara", "2", "DARA", "College of Policing", (("low", "Low"), ("high", "High"), ("very-high", "Very high")))
    monkeypatch.setitem(risk_tools.TOOLS, ("dara", "2"), later)
    assert risk_tools.latest("dara") is later
    assert record(case_a, referrer, police, level="high").meets_high_risk
    AreaToolCriteria.objects.create(area=area, tool="dara", high_risk_levels=["very-high"])
    assert record(case_a, referrer, police, level="high").meets_high_risk
    assert not record(case_a, referrer, police, level="medium").meets_high_risk
    AreaToolCriteria.objects.filter(area=area).update(high_risk_levels=["medium", "high"])
    assert record(case_a, referrer, police, level="medium").high_risk_levels == ["medium", "high"]


def test_the_newest_version_is_compared_as_a_number(monkeypatch):
    for version in ("9", "10"):
        monkeypatch.setitem(risk_tools.TOOLS, ("dara", version), risk_tools.RiskTool("dara", version, "DARA", "", risk_tools.THREE_LEVELS))
    assert risk_tools.latest("dara").version == "10"


def test_migrating_back_refuses_rather_than_delete_referrals_resting_on_another_tool(referrer, police, case_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("referrals.migrations.0019_risk_tools")
    migration.refuse_to_drop_other_tool_assessments(apps, None)  # nothing recorded: going back is allowed
    high = record(case_a, referrer, police)
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    with pytest.raises(migration.OtherToolAssessmentsHeld, match="1 assessment.*1 referral.*0019 was not reversed"):
        migration.refuse_to_drop_other_tool_assessments(apps, None)
    assert Referral.objects.filter(pk=referral.pk).exists() and ToolAssessment.objects.filter(pk=high.pk).exists()


def test_triage_and_the_referrals_pages_log_the_tools_level_as_read_not_a_score(sign_in_fully, referrer, coordinator, police, case_a):
    """What a referral on another tool shows of it is that tool's level: the access log says so,
    so an auditor asking who saw the police's level on a case finds every page that showed it."""
    high = record(case_a, referrer, police)
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    pages = [(coordinator, "/referrals/triage/"), (coordinator, f"/referrals/{referral.pk}/decision/")]
    pages += [(referrer, f"/referrals/{referral.pk}/"), (referrer, f"/referrals/{referral.pk}/withdraw/")]
    for person, url in pages:
        html = sign_in_fully(person).get(url).content.decode()
        assert "DARA (College of Policing) v1: high" in html, url
        read = AccessEvent.objects.filter(event="case_read", user=person, case_reference=case_a.reference).order_by("-sequence").first()
        assert "toolassessment.level" in read.fields and "assessment.score" not in read.fields, url


def test_emergency_access_sees_that_one_was_recorded_never_the_tool_level_or_rationale(sign_in_fully, referrer, police, case_a, area):
    """Break-glass reads what identifies her, never how much danger she is in (ADR 0020): the tool,
    its level, whether it met high risk and the rationale are all withheld, and none is logged as read."""
    high = record(case_a, referrer, police)
    risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    colleague = make_person("colleague", Role.REFERRER, police, area)
    client = sign_in_fully(colleague)
    form = {"reference": case_a.reference, "reason": "emergency", "understood": "on"}
    assert client.post("/cases/emergency-access/", form).url == f"/cases/{case_a.reference}/"
    html = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "Sarah Mitchell" in html and "Assessments with other risk tools" in html
    assert "DARA" not in html and "strangulation" not in html and "visible high risk in this area" not in html
    assert "Record an assessment made with another risk tool" not in html and "/refer/" not in html
    read = AccessEvent.objects.filter(event="case_read", user=colleague).order_by("-sequence").first()
    assert not {"toolassessment.level", "toolassessment.tool", "toolassessment.rationale"} & set(read.fields)
    assert client.post(refer_url(case_a, high), {"consent": "given"}).status_code == 403
    assert client.post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(assessing_agency=str(police.pk))).status_code == 403
    assert ToolAssessment.objects.count() == 1


def test_erasing_a_case_referred_on_another_tool_withdraws_the_referral_and_records_nothing_more(sign_in_fully, referrer, police, case_a):
    from referrals import services

    high = record(case_a, referrer, police)
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    services.case_shred(case=case_a, by=None)
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.WITHDRAWN
    with pytest.raises(ValidationError, match="erased"):
        record(case_a, referrer, police)
    client = sign_in_fully(referrer)
    assert client.post(f"/cases/{case_a.reference}/other-risk-tools/new/", form_data(assessing_agency=str(police.pk))).status_code in (
        403,
        404,
    )
    assert ToolAssessment.objects.count() == 1


def test_an_assessment_with_another_tool_since_the_case_closed_keeps_it_from_erasure(coordinator, referrer, police, case_a, area):
    """A police DARA recorded on a closed case is a referral on its way, as a checklist started
    since would be: the case is not due for erasure and a waiting ask cannot be confirmed."""
    import time_machine
    from django.utils import timezone

    from marac.models import MaracArea
    from referrals import closing, retention

    area.retention_months = 12
    area.save()
    with time_machine.travel(timezone.now() - timedelta(days=31 * 13 + 1), tick=False):
        closing.case_close(case=case_a, reason="risk_reduced", by=coordinator)
    today = timezone.localdate()
    due = [c.pk for c in retention.due_for_erasure([MaracArea.objects.get(pk=area.pk)], today=today)]
    assert due == [case_a.pk]
    ask = retention.erasure_ask(case=case_a, by=coordinator)
    record(case_a, referrer, police, on=today)
    assert not retention.due_for_erasure([MaracArea.objects.get(pk=area.pk)], today=today).exists()
    second = make_person("second_coordinator", Role.COORDINATOR, police, area)
    with pytest.raises(ValidationError, match="another risk tool has been recorded on this case since it closed"):
        retention.erasure_confirm(ask=ask, by=second)
    case_a.refresh_from_db()
    assert not case_a.is_shredded


def test_whoever_decides_sees_who_recorded_an_assessment_in_another_agencys_name(sign_in_fully, referrer, coordinator, police, case_a):
    """The IDVA's worker may record the police's DARA (the agency is chosen, not proven): triage
    and the decision page name both the assessing agency and who keyed it in, never the agency alone."""
    high = record(case_a, referrer, police)  # the referrer works for the IDVA service, not the police
    referral = risk_tool_services.tool_referral_submit(record=high, by=referrer, agency=police, consent="given", today=TODAY)
    client = sign_in_fully(coordinator)
    on = high.assessed_on.strftime("%-d %B %Y")
    for url in ("/referrals/triage/", f"/referrals/{referral.pk}/decision/"):
        html = client.get(url).content.decode()
        assert f"DARA (College of Policing) v1: high (assessed by Leicestershire Police on {on}, recorded by referrer)" in html, url


# The latest assessment, whichever tool made it, is the case's level in lists and on its page


def _row(page: str, reference: str) -> str:
    return page.split(f"/cases/{reference}/", 1)[1].split("</tr>", 1)[0]


def test_a_case_assessed_only_with_another_tool_is_listed_and_found_at_that_tools_level(
    sign_in_fully, coordinator, auditor, referrer, police, case_a, case_b
):
    """The defect: a case the police assessed on DARA as high said "Not assessed" in the case list,
    and ?risk=high did not find it, while its page listed the DARA assessment."""
    record(case_a, referrer, police, level="high")
    client = sign_in_fully(coordinator)
    assert "High" in _row(client.get("/cases/").content.decode(), case_a.reference)
    assert re.findall(r'href="/cases/([A-Z0-9-]+)/"', client.get("/cases/", {"risk": "high"}).content.decode()) == [case_a.reference]
    header = client.get(f"/cases/{case_a.reference}/").content.decode().split("Current risk level", 1)[1].split("</div>", 1)[0]
    assert "High" in header and "DARA" in header
    listed = AccessEvent.objects.filter(user=coordinator, purpose="case list", case_reference=case_a.reference)
    assert listed.exists() and all("toolassessment.level" in e.fields and "assessment.score" not in e.fields for e in listed)

    auditor_page = sign_in_fully(auditor).get("/cases/").content.decode()
    assert "Withheld" in _row(auditor_page, case_a.reference) and "High" not in _row(auditor_page, case_a.reference)
    assert "Not assessed" in _row(auditor_page, case_b.reference)


def test_a_later_checklist_supersedes_another_tools_level_and_a_later_tool_supersedes_a_checklist(
    sign_in_fully, coordinator, referrer, police, idva, case_a
):
    from tests.referrals.test_list_filters import referred

    record(case_a, referrer, police, level="high", on=TODAY - timedelta(days=10))
    referred(case_a, referrer, idva, yes=2, on=TODAY - timedelta(days=5))  # standard, later
    client = sign_in_fully(coordinator)
    assert "Standard" in _row(client.get("/cases/").content.decode(), case_a.reference)
    assert case_a.reference not in client.get("/cases/", {"risk": "high"}).content.decode()

    record(case_a, referrer, police, level="medium", on=TODAY - timedelta(days=1))  # later again
    assert "Medium" in _row(client.get("/cases/").content.decode(), case_a.reference)
    header = client.get(f"/cases/{case_a.reference}/").content.decode().split("Current risk level", 1)[1].split("</div>", 1)[0]
    assert "Medium" in header and "DARA" in header and "score" not in header
