"""`check --deploy --database default` warns while PostgreSQL would write refused rows' values
to its own log (docs/deploy.md, step 4)."""

import pytest
from django.core.checks import registry
from django.db import connection

from marac.checks import postgresql_logs_no_row_values

pytestmark = pytest.mark.django_db


def session_settings(*statements: str) -> None:
    """Session settings only (the suite connects as a superuser), undone with the test's transaction."""
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_the_check_runs_with_the_deployment_checks():
    assert postgresql_logs_no_row_values in registry.registry.get_checks(include_deployment_checks=True)
    assert postgresql_logs_no_row_values not in registry.registry.get_checks(include_deployment_checks=False)


QUIET = ["SET log_error_verbosity = terse", "SET log_min_error_statement = panic", "SET log_statement = ddl"]
QUIET += ["SET log_min_duration_statement = -1", "SET log_min_duration_sample = -1"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own log settings")
def test_it_warns_until_the_database_keeps_values_out_of_its_log():
    session_settings("SET log_error_verbosity = default", "SET log_min_error_statement = error")  # PostgreSQL's defaults
    warnings = postgresql_logs_no_row_values(databases=["default"])
    assert [w.id for w in warnings] == ["marac.W001"]
    assert "log_error_verbosity, log_min_error_statement" in warnings[0].msg
    assert "log_error_verbosity = terse" in warnings[0].hint and "log_min_error_statement = panic" in warnings[0].hint
    session_settings("SET log_error_verbosity = terse")
    assert [w.id for w in postgresql_logs_no_row_values(databases=["default"])] == ["marac.W001"]  # the statement still logged
    session_settings(*QUIET)
    assert postgresql_logs_no_row_values(databases=["default"]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own log settings")
@pytest.mark.parametrize(
    "loud",
    ["SET log_statement = mod", "SET log_statement = 'all'", "SET log_min_duration_statement = 0", "SET log_min_duration_sample = 100"],
)
def test_it_warns_while_statements_are_logged_with_their_values(loud):
    session_settings(*QUIET, loud)
    warnings = postgresql_logs_no_row_values(databases=["default"])
    assert [w.id for w in warnings] == ["marac.W001"] and loud.split()[1] in warnings[0].msg


def test_it_reaches_no_database_unless_asked(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert postgresql_logs_no_row_values(databases=None) == []
