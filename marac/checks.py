"""Deployment checks Django's own do not make (`manage.py check --deploy --database default`)."""

from django.core.checks import Tags, Warning, register
from django.db import connections

# PostgreSQL's settings that keep row values out of its own log, with the values that do: terse
# drops an error's DETAIL ("Failing row contains (...)", "Key (...)=(...) already exists"), panic
# drops the statement of an error, whose values Django binds into its text, and the rest keep
# statements out of the log altogether (statement logging, slow and sampled statement logging).
QUIET_LOG = {
    "log_error_verbosity": {"terse"},
    "log_min_error_statement": {"panic"},
    "log_statement": {"none", "ddl"},
    "log_min_duration_statement": {"-1"},
    "log_min_duration_sample": {"-1"},
}


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
            cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(QUIET_LOG)])
            found = dict(cursor.fetchall())
        loud = sorted(name for name, quiet in QUIET_LOG.items() if name in found and found[name] not in quiet)
        if loud:
            name = database.settings_dict["NAME"]
            warnings.append(
                Warning(
                    f"PostgreSQL database {alias!r} writes row values to its log: {', '.join(loud)}.",
                    hint=(
                        f"As postgres: ALTER DATABASE {name} SET log_error_verbosity = terse; "
                        f"ALTER DATABASE {name} SET log_min_error_statement = panic; and leave statement logging "
                        "off (log_statement none or ddl, log_min_duration_statement and log_min_duration_sample -1); "
                        "then restart the service (docs/deploy.md, step 4)."
                    ),
                    id="marac.W001",
                )
            )
    return warnings
