"""The referral and repeat rules at their edges (DESIGN 2.1-2.3)."""

from datetime import date, timedelta

import pytest

from marac.models import MaracArea, RepeatDefinition
from marac.periods import add_months
from referrals.checklists import DASH_2009, Answer, Band
from referrals.models import Incident
from referrals.rules import Criterion, is_repeat, referral_criteria, within_repeat_window


def answers_with(yes: int) -> dict[str, Answer]:
    questions = [q.id for q in DASH_2009.questions]
    return {q: (Answer.YES if i < yes else Answer.NO) for i, q in enumerate(questions)}


@pytest.mark.parametrize(
    "yes,band", [(0, Band.STANDARD), (9, Band.STANDARD), (10, Band.MEDIUM), (13, Band.MEDIUM), (14, Band.HIGH), (24, Band.HIGH)]
)
def test_scores_and_bands_at_their_edges(yes, band):
    score = DASH_2009.score(answers_with(yes))
    assert score == yes
    assert DASH_2009.band(score) is band


def test_not_known_scores_nothing_and_unknown_questions_are_refused():
    assert DASH_2009.score({"injury": Answer.NOT_KNOWN, "weapons": Answer.YES}) == 1
    with pytest.raises(ValueError):
        DASH_2009.score({"not_a_question": Answer.YES})


def test_the_checklist_has_24_questions_in_the_designs_order():
    ids = [q.id for q in DASH_2009.questions]
    assert len(ids) == len(set(ids)) == 24
    assert ids[0] == "injury" and ids[14] == "strangulation" and ids[-1] == "criminal_history"


AREA = MaracArea(name="Default", short_code="DEF")  # threshold 14, escalation 3
STRICT = MaracArea(name="Strict", short_code="STR", high_risk_threshold=16)


@pytest.mark.parametrize("area,score,visible", [(AREA, 13, False), (AREA, 14, True), (STRICT, 15, False), (STRICT, 16, True)])
def test_visible_high_risk_uses_the_areas_threshold(area, score, visible):
    met = referral_criteria(score=score, area=area, judgement=False, escalation_count=0, repeat=False)
    assert (Criterion.VISIBLE_HIGH_RISK in met) is visible


@pytest.mark.parametrize("callouts,escalation", [(2, False), (3, True), (7, True)])
def test_escalation_at_the_areas_number_of_callouts(callouts, escalation):
    met = referral_criteria(score=0, area=AREA, judgement=False, escalation_count=callouts, repeat=False)
    assert (Criterion.POTENTIAL_ESCALATION in met) is escalation


def test_a_repeat_and_professional_judgement_qualify_whatever_the_score():
    assert referral_criteria(score=0, area=AREA, judgement=False, escalation_count=0, repeat=True) == {Criterion.REPEAT}
    assert referral_criteria(score=2, area=AREA, judgement=True, escalation_count=0, repeat=False) == {Criterion.PROFESSIONAL_JUDGEMENT}
    assert referral_criteria(score=2, area=AREA, judgement=False, escalation_count=0, repeat=False) == set()


@pytest.mark.parametrize(
    "referred,days_later,within",
    [
        (date(2025, 3, 1), 364, True),
        (date(2025, 3, 1), 365, True),  # 1 March 2026: the same date 12 months on
        (date(2025, 3, 1), 366, False),
        (date(2023, 3, 1), 366, True),  # across 29 February 2024: 1 March 2024 is day 366
        (date(2023, 3, 1), 367, False),
        (date(2024, 2, 29), 365, True),  # 28 February 2025
        (date(2024, 2, 29), 366, False),  # 1 March 2025
        (date(2025, 3, 1), 0, False),  # the referral's own day is not a further incident
    ],
)
def test_the_repeat_window_edges(referred, days_later, within):
    assert within_repeat_window(last_referral=referred, incident=referred + timedelta(days=days_later)) is within


def test_add_months_clamps_to_the_end_of_short_months():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), -12) == date(2024, 1, 15)


def test_unwanted_contact_is_a_repeat_under_the_current_definition_only():
    facts = {"last_referral": date(2025, 6, 1), "incident": date(2025, 9, 1), "kind": Incident.Kind.UNWANTED_CONTACT}
    assert is_repeat(**facts, definition=RepeatDefinition.CURRENT)
    assert not is_repeat(**facts, definition=RepeatDefinition.NI32_2008)


@pytest.mark.parametrize("kind", [Incident.Kind.VIOLENCE, Incident.Kind.THREATS, Incident.Kind.STALKING, Incident.Kind.SEXUAL])
def test_violence_threats_stalking_and_sexual_abuse_are_repeats_under_both(kind):
    for definition in RepeatDefinition.values:
        assert is_repeat(last_referral=date(2025, 6, 1), incident=date(2025, 9, 1), kind=kind, definition=definition)


def test_no_earlier_referral_means_no_repeat():
    assert not is_repeat(last_referral=None, incident=date(2025, 9, 1), kind=Incident.Kind.VIOLENCE, definition=RepeatDefinition.CURRENT)
