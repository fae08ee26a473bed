"""Checklists, referrals, incidents and repeat detection against stored cases."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from marac.models import RepeatDefinition
from referrals import selectors, services
from referrals.checklists import DASH_2009, Band
from referrals.models import Incident, Referral, RiskAssessment
from referrals.rules import Criterion
from tests.conftest import make_case

TODAY = date(2026, 11, 21)


def yes_to(count: int) -> dict:
    return {q.id: {"answer": "yes" if i < count else "no", "note": ""} for i, q in enumerate(DASH_2009.questions)}


@pytest.fixture
def assessed(case_a, referrer):
    def with_score(score: int) -> RiskAssessment:
        assessment = services.assessment_start(case=case_a, by=referrer, on=TODAY)
        return services.assessment_answer(assessment=assessment, answers=yes_to(score), by=referrer)

    return with_score


def submit(assessment, referrer, idva, on=TODAY, **kwargs):
    return services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent=Referral.Consent.GIVEN, today=on, **kwargs)


def test_answers_are_kept_encrypted_as_a_draft_and_scored(assessed):
    assessment = assessed(15)
    again = RiskAssessment.objects.select_related("case__data_key").get(pk=assessment.pk)
    assert again.score == 15 and again.band is Band.HIGH and again.status == RiskAssessment.Status.DRAFT
    assert again.answers["injury"]["answer"] == "yes"


def test_answers_can_be_given_a_few_at_a_time(case_a, referrer):
    assessment = services.assessment_start(case=case_a, by=referrer, on=TODAY)
    services.assessment_answer(assessment=assessment, answers={"injury": {"answer": "yes"}}, by=referrer)
    assessment = services.assessment_answer(assessment=assessment, answers={"weapons": {"answer": "yes", "note": "a knife"}}, by=referrer)
    assert assessment.score == 2 and assessment.answers["weapons"]["note"] == "a knife"


@pytest.mark.parametrize("answers", [{"made_up": {"answer": "yes"}}, {"injury": {"answer": "maybe"}}, {"injury": {}}])
def test_bad_answers_are_refused(assessed, referrer, answers):
    assessment = assessed(0)
    with pytest.raises(ValidationError):
        services.assessment_answer(assessment=assessment, answers=answers, by=referrer)


def test_professional_judgement_raises_never_lowers_and_needs_a_reason(assessed, referrer):
    medium = assessed(11)
    with pytest.raises(ValidationError, match="only raise"):
        services.assessment_override(assessment=medium, band=Band.STANDARD, rationale="Calmer now", by=referrer)
    with pytest.raises(ValidationError, match="only raise"):
        services.assessment_override(assessment=medium, band=Band.MEDIUM, rationale="Same", by=referrer)
    with pytest.raises(ValidationError, match="Explain"):
        services.assessment_override(assessment=medium, band=Band.HIGH, rationale="  ", by=referrer)
    raised = services.assessment_override(assessment=medium, band=Band.HIGH, rationale="Recent strangulation", by=referrer)
    assert raised.level is Band.HIGH and raised.band is Band.MEDIUM


def test_a_referral_takes_its_criteria_from_the_checklist(assessed, referrer, idva):
    referral = submit(assessed(14), referrer, idva)
    assert referral.criteria == [Criterion.VISIBLE_HIGH_RISK] and referral.submitted_on == TODAY
    assert RiskAssessment.objects.get(pk=referral.assessment_id).status == RiskAssessment.Status.COMPLETE


def test_a_referral_meeting_no_criterion_is_refused_unless_judgement_is_used(assessed, referrer, idva):
    with pytest.raises(ValidationError, match="no MARAC referral criterion"):
        submit(assessed(8), referrer, idva)
    referral = submit(assessed(8), referrer, idva, judgement=True)
    assert referral.criteria == [Criterion.PROFESSIONAL_JUDGEMENT]


def test_referring_without_consent_needs_a_reason(assessed, referrer, idva):
    with pytest.raises(ValidationError, match="without the victim's consent"):
        services.referral_submit(assessment=assessed(14), by=referrer, agency=idva, consent=Referral.Consent.WITHOUT, today=TODAY)


def record(case, on, kind=Incident.Kind.VIOLENCE, callout=False, *, by, agency, today=TODAY):
    return services.incident_record(case=case, occurred_on=on, kind=kind, police_callout=callout, agency=agency, by=by, today=today)


@pytest.mark.parametrize("callouts,escalation", [(2, False), (3, True)])
def test_escalation_counts_incidents_reported_to_the_police_in_the_last_12_months(assessed, case_a, referrer, police, callouts, escalation):
    # The default basis (SafeLives): a call-out is a report, an incident not reported is not counted.
    record(case_a, date(2025, 11, 21), callout=True, by=referrer, agency=police)  # 12 months ago: outside
    for day in range(callouts):
        record(case_a, date(2026, 5, 1 + day), callout=True, by=referrer, agency=police)
    record(case_a, date(2026, 6, 1), callout=False, by=referrer, agency=police)
    assert selectors.escalation_count_last_12_months(case_a, TODAY) == callouts
    met = services.referral_criteria_for(assessment=assessed(0), judgement=False, today=TODAY)
    assert (Criterion.POTENTIAL_ESCALATION in met) is escalation


def test_an_incident_within_12_months_of_the_last_referral_is_a_repeat(assessed, case_a, referrer, idva):
    submit(assessed(14), referrer, idva, on=date(2026, 1, 10))
    _, repeat = record(case_a, date(2027, 1, 10), by=referrer, agency=idva, today=date(2027, 1, 10))
    assert repeat
    _, repeat = record(case_a, date(2027, 1, 11), by=referrer, agency=idva, today=date(2027, 1, 11))
    assert not repeat


def test_the_areas_definition_decides_what_counts(assessed, case_a, referrer, idva):
    submit(assessed(14), referrer, idva, on=date(2026, 6, 1))
    _, repeat = record(case_a, date(2026, 9, 1), Incident.Kind.UNWANTED_CONTACT, by=referrer, agency=idva)
    assert repeat
    case_a.area.repeat_definition = RepeatDefinition.NI32_2008
    case_a.area.save()
    _, repeat = record(case_a, date(2026, 9, 2), Incident.Kind.UNWANTED_CONTACT, by=referrer, agency=idva)
    assert not repeat


def test_a_repeat_makes_the_next_referral_a_repeat_referral_whatever_its_score(assessed, case_a, referrer, idva):
    submit(assessed(14), referrer, idva, on=date(2026, 6, 1))
    record(case_a, date(2026, 9, 1), Incident.Kind.CHILD_CONTACT, by=referrer, agency=idva)
    assert submit(assessed(3), referrer, idva).criteria == [Criterion.REPEAT]


def test_a_future_incident_date_is_refused(case_a, referrer, idva):
    with pytest.raises(ValidationError, match="today or in the past"):
        record(case_a, date(2026, 11, 22), by=referrer, agency=idva)


def test_a_victim_referred_in_another_area_is_found_through_an_alias_and_another_date_of_birth(other_area, area, idva, referrer, unrelated):
    charnwood = make_case(
        other_area,
        idva,
        unrelated,
        name="Joanne Price",
        aliases=["Jo Pryce"],
        date_of_birth=date(1985, 1, 9),
        alternative_dates_of_birth=["1985-09-01"],
    )
    older = make_case(other_area, idva, unrelated, name="Jo Pryce", date_of_birth=date(1985, 9, 1))
    for case, referred in ((charnwood, date(2026, 3, 2)), (older, date(2025, 10, 1))):
        assessment = services.assessment_start(case=case, by=unrelated, on=referred)
        services.assessment_answer(assessment=assessment, answers=yes_to(14), by=unrelated)
        submit(assessment, unrelated, idva, on=referred)

    new = make_case(area, idva, referrer, name="JO PRYCE", date_of_birth=date(1985, 9, 1))
    matches = selectors.recent_matches_elsewhere(new.victim, TODAY)
    assert [(case.reference, case.area.name, on) for case, on in matches] == [(charnwood.reference, "Charnwood", date(2026, 3, 2))]


def test_a_checklist_is_referred_once_and_then_cannot_change(assessed, referrer, idva):
    assessment = assessed(14)
    submit(assessment, referrer, idva)
    with pytest.raises(ValidationError, match="already been referred"):
        submit(assessment, referrer, idva)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.assessment_override(assessment=assessment, band=Band.HIGH, rationale="x", by=referrer)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.assessment_answer(assessment=assessment, answers={"injury": {"answer": "no"}}, by=referrer)
    assert Referral.objects.count() == 1


def test_a_raised_level_can_only_be_raised_again(assessed, referrer):
    standard = assessed(3)
    services.assessment_override(assessment=standard, band=Band.HIGH, rationale="Threats to kill", by=referrer)
    with pytest.raises(ValidationError, match="only raise"):
        services.assessment_override(assessment=standard, band=Band.MEDIUM, rationale="Lower it", by=referrer)


def test_references_keep_counting_past_9999(area, idva, referrer):
    from referrals.models import CaseCounter

    first = make_case(area, idva, referrer)
    CaseCounter.objects.filter(area=area).update(last_number=9998)
    references = [make_case(area, idva, referrer).reference for _ in range(3)]
    year = first.reference.split("-")[1]
    assert references == [f"NWL-{year}-9999", f"NWL-{year}-10000", f"NWL-{year}-10001"]


@pytest.fixture
def referred_elsewhere(other_area, idva, unrelated):
    """Joanne Price, referred in Charnwood this year."""
    case = make_case(other_area, idva, unrelated, name="Joanne Price", date_of_birth=date(1985, 1, 9))
    assessment = services.assessment_start(case=case, by=unrelated, on=date(2026, 3, 2))
    services.assessment_answer(assessment=assessment, answers=yes_to(14), by=unrelated)
    submit(assessment, unrelated, idva, on=date(2026, 3, 2))
    return case


def low_score_checklist(area, idva, referrer, **victim):
    case = make_case(area, idva, referrer, **victim)
    assessment = services.assessment_start(case=case, by=referrer, on=TODAY)
    return services.assessment_answer(assessment=assessment, answers=yes_to(2), by=referrer)


def test_a_referrer_cannot_learn_whether_someone_was_referred_elsewhere(referred_elsewhere, area, idva, referrer):
    """Criteria shown, and whether a referral may go, answer alike for a victim matching another
    area's case and for one who does not: otherwise any referrer could test names and birth dates."""
    outcomes = []
    for born in (date(1985, 1, 9), date(1985, 1, 10)):  # the match, and a day off
        assessment = low_score_checklist(area, idva, referrer, name="JOANNE PRICE", date_of_birth=born)
        shown = services.referral_criteria_for(assessment=assessment, judgement=False, today=TODAY)
        with pytest.raises(ValidationError) as refused:
            submit(assessment, referrer, idva)
        outcomes.append((shown, refused.value.messages))
    assert (
        outcomes[0]
        == outcomes[1]
        == (set(), ["This case meets no MARAC referral criterion. Use professional judgement if you are worried."])
    )


def test_a_referral_that_goes_still_records_the_match_for_the_coordinator_and_ni32(referred_elsewhere, area, idva, referrer):
    assessment = low_score_checklist(area, idva, referrer, name="Joanne Price", date_of_birth=date(1985, 1, 9))
    referral = submit(assessment, referrer, idva, judgement=True)
    assert Criterion.REPEAT in referral.criteria and referral.repeat_current and referral.repeat_ni32
