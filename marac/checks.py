"""Deployment checks Django's own do not make (`manage.py check --deploy --database default`)."""

from django.core.checks import Tags, Warning, register
from django.db import connections

# What PostgreSQL writes to its own log when it refuses a statement, and what keeps row values
# out of it: terse drops the DETAIL ("Failing row contains (...)", "Key (...)=(...) already
# exists") and panic drops the statement, whose values Django binds into its text.
QUIET_ERROR_LOG = {"log_error_verbosity": "terse", "log_min_error_statement": "panic"}


@register(Tags.database, Tags.security, deploy=True)
def postgresql_logs_no_row_values(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    """The service turns the database's refusals into messages naming no value, but the server
    logs its own text too, and server logs are kept and shipped with fewer eyes on them."""
    warnings = []
    for alias in databases or []:  # a database check: only when asked to reach the databases
        database = connections[alias]
        if database.vendor != "postgresql":
            continue
        with database.cursor() as cursor:
            cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(QUIET_ERROR_LOG)])
            found = dict(cursor.fetchall())
        if found != QUIET_ERROR_LOG:
            name = database.settings_dict["NAME"]
            warnings.append(
                Warning(
                    f"PostgreSQL database {alias!r} logs the values of rows and statements it refuses.",
                    hint=(
                        f"As postgres: ALTER DATABASE {name} SET log_error_verbosity = terse; "
                        f"ALTER DATABASE {name} SET log_min_error_statement = panic; then restart the service "
                        "(docs/deploy.md, step 4)."
                    ),
                    id="marac.W001",
                )
            )
    return warnings
