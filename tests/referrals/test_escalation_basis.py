"""Potential escalation counts what the area chooses (DESIGN 2.2, issue 18): incidents reported to
the police by default (SafeLives' wording), or police call-outs, in the last 12 months, at the
area's number."""

import importlib
from datetime import date

import pytest
from django.apps import apps

from marac.models import EscalationBasis, MaracArea
from referrals import selectors, services
from referrals.models import Incident
from referrals.rules import Criterion, escalation_window_start

TODAY = date(2026, 11, 21)


def record(case, on, *, by, agency, callout=False, reported=False):
    incident, _ = services.incident_record(
        case=case,
        occurred_on=on,
        kind=Incident.Kind.UNWANTED_CONTACT,
        police_callout=callout,
        reported_to_police=reported,
        agency=agency,
        by=by,
        today=TODAY,
    )
    return incident


def criteria(case, by) -> set[Criterion]:
    assessment = services.assessment_start(case=case, by=by, on=TODAY)  # scores 0: escalation or nothing
    return services.referral_criteria_for(assessment=assessment, judgement=False, today=TODAY)


def set_basis(area: MaracArea, basis: str, number: int = 3) -> None:
    area.escalation_basis, area.escalation_callouts = basis, number
    area.save()


def test_a_new_area_counts_incidents_reported_to_the_police():
    assert MaracArea(name="New", short_code="NEW").escalation_basis == EscalationBasis.INCIDENTS_REPORTED


def test_by_default_reports_count_and_unreported_incidents_do_not(case_a, referrer, police):
    for day in (1, 2, 3):
        record(case_a, date(2026, 6, day), reported=True, by=referrer, agency=police)
    record(case_a, date(2026, 6, 4), by=referrer, agency=police)  # told to the IDVA only
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 3
    assert Criterion.POTENTIAL_ESCALATION in criteria(case_a, referrer)


def test_under_call_outs_reports_without_a_call_out_do_not_count(case_a, referrer, police, area):
    set_basis(area, EscalationBasis.POLICE_CALLOUTS)
    for day in (1, 2, 3):
        record(case_a, date(2026, 6, day), reported=True, by=referrer, agency=police)
    record(case_a, date(2026, 6, 4), callout=True, by=referrer, agency=police)
    case_a.refresh_from_db()
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 1
    assert Criterion.POTENTIAL_ESCALATION not in criteria(case_a, referrer)


def test_a_call_out_is_recorded_as_reported_and_counts_under_either_basis(case_a, referrer, police, area):
    incident = record(case_a, date(2026, 6, 1), callout=True, by=referrer, agency=police)
    assert incident.reported_to_police is True
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 1
    set_basis(area, EscalationBasis.POLICE_CALLOUTS)
    case_a.refresh_from_db()
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 1


@pytest.mark.parametrize("basis", EscalationBasis.values)
def test_the_12_months_end_the_day_after_the_same_date_a_year_before(case_a, referrer, police, area, basis):
    set_basis(area, basis)
    case_a.refresh_from_db()
    start = escalation_window_start(TODAY)
    assert start == date(2025, 11, 21)
    record(case_a, start, callout=True, reported=True, by=referrer, agency=police)  # a year ago today: outside
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 0
    record(case_a, date(2025, 11, 22), callout=True, reported=True, by=referrer, agency=police)
    record(case_a, TODAY, callout=True, reported=True, by=referrer, agency=police)
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == 2
    # Counted on another day, the one from 21 November 2025 falls inside and today's falls out.
    assert selectors.escalation_count_last_12_months(case_a, date(2026, 11, 20)) == 2


@pytest.mark.parametrize("basis", EscalationBasis.values)
@pytest.mark.parametrize("number,met", [(4, False), (3, True), (2, True)])
def test_escalation_is_met_at_the_areas_number(case_a, referrer, police, area, basis, number, met):
    set_basis(area, basis, number)
    case_a.refresh_from_db()
    for day in (1, 2, 3):
        record(case_a, date(2026, 6, day), callout=True, reported=True, by=referrer, agency=police)
    assert (Criterion.POTENTIAL_ESCALATION in criteria(case_a, referrer)) is met


def test_the_incident_page_records_a_report_to_the_police(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    response = client.post(
        f"/cases/{case_a.reference}/incidents/new/",
        {"occurred_on_day": "1", "occurred_on_month": "6", "occurred_on_year": "2026", "kind": "violence", "reported_to_police": "on"},
    )
    assert response.status_code == 302
    incident = Incident.objects.get(case=case_a)
    assert incident.reported_to_police is True and incident.police_callout is False


def test_the_migration_marks_every_earlier_call_out_as_reported(case_a, referrer, police):
    called = record(case_a, date(2026, 6, 1), callout=True, by=referrer, agency=police)
    not_called = record(case_a, date(2026, 6, 2), by=referrer, agency=police)
    Incident.objects.update(reported_to_police=False)  # as they were before the column existed
    importlib.import_module("referrals.migrations.0019_risk_tools").callouts_were_reported(apps, None)
    assert Incident.objects.get(pk=called.pk).reported_to_police is True
    assert Incident.objects.get(pk=not_called.pk).reported_to_police is False
