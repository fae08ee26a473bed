"""Saving a checklist or recording another tool's assessment locks the case's own rows, never the
area row every referrer in the area shares: with the area locked, two referrals at once in one
area deadlocked against the audit chain's lock (found under load by bench/api_submission.py)."""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from referrals.services import _locked_draft, assessment_start

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; CI runs this on PostgreSQL")


def _locking_statement(queries) -> str:
    return next(q["sql"] for q in queries if "FOR UPDATE" in q["sql"])


def test_a_checklist_save_locks_the_assessment_and_its_case_but_not_the_area(case_a, referrer):
    assessment = assessment_start(case=case_a, by=referrer, on=date.today())
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        _locked_draft(assessment)
    locking = _locking_statement(queries.captured_queries)
    assert 'FOR UPDATE OF "referrals_riskassessment", "referrals_case"' in locking
    assert "marac_maracarea" in locking  # still read in the same statement, just not locked


def test_another_tools_assessment_locks_the_case_but_not_the_area(case_a, referrer, idva):
    from referrals import risk_tool_services

    with CaptureQueriesContext(connection) as queries:
        risk_tool_services.tool_assessment_record(
            case=case_a,
            tool="dara",
            version="1",
            level="medium",
            assessed_on=date.today(),
            agency=idva,
            rationale="Assessed at the call-out",
            by=referrer,
            today=date.today(),
        )
    locking = _locking_statement(queries.captured_queries)
    assert 'FOR UPDATE OF "referrals_case"' in locking and "marac_maracarea" in locking
