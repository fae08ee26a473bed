"""The partnership's measures (issue 18, ADR 0028): time from referral to first contact with the
victim, time in each stage (submitted to decided, decided to heard), cases heard a year per 10,000
adult women against the SafeLives benchmark of 40, the repeat rate (NI 32) and a scorecard of the
actions due in the period by owning agency.

Everything is an SQL aggregate over plain columns (dates, statuses, codes) in a fixed number of
queries whatever the data holds: no row is decrypted and none is looped over in Python. Typical
times are medians on PostgreSQL (percentile_cont); SQLite has no median aggregate, so there they
are means, and the page says which it shows (`AVERAGE`).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Aggregate, Avg, Case, CharField, Count, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate

from marac.models import MaracArea
from marac.periods import Period
from meetings.models import Action, ActionUpdate
from referrals.models import Referral
from reports.selectors import Ni32, hearings, ni32_across, ni32_by_area, per_10000

DECIDED = (Referral.Status.ACCEPTED, Referral.Status.DECLINED)


class DaysBetween(Func):
    """Whole days from one date to a later one, in SQL on either engine."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        # SQLite: dates are ISO text
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"(julianday({later}) - julianday({earlier}))", [*later_params, *earlier_params]

    def as_postgresql(self, compiler, connection, **extra_context):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return f"(({later})::date - ({earlier})::date)::float", [*later_params, *earlier_params]


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _typical(expression) -> Aggregate:
    """The median where the database has one (PostgreSQL), else the mean (SQLite)."""
    return Median(expression) if connection.vendor == "postgresql" else Avg(expression)


def average_name() -> str:
    return "median" if connection.vendor == "postgresql" else "mean"


@dataclass(frozen=True)
class Days:
    """A typical number of days over `counted` records (None when there are none)."""

    days: float | None
    counted: int

    @property
    def shown(self) -> float | None:
        return None if self.days is None else round(self.days, 1)


@dataclass(frozen=True)
class AreaMeasures:
    name: str
    area: MaracArea | None  # None for the figures across the areas
    submitted: int  # referrals submitted in the period
    no_first_contact: int  # of them, those with no first contact recorded yet
    to_first_contact: Days
    to_decision: Days
    to_hearing: Days
    ni32: Ni32
    per_10000_year: float | None


@dataclass(frozen=True)
class AgencyScore:
    agency: str
    due: int
    on_time: int
    late: int
    undated: int  # done, but marked done without a dated update (brought in from before go-live)
    overdue: int
    not_possible: int

    @property
    def not_yet_due(self) -> int:
        return self.due - self.on_time - self.late - self.undated - self.overdue - self.not_possible

    @property
    def fallen_due(self) -> int:
        """The actions that can be judged on time or not: all but those still open before their due date."""
        return self.due - self.not_yet_due

    @property
    def on_time_percentage(self) -> float | None:
        """Of the actions that have fallen due (or were finished early), those done on time. An
        action still open before its due date is not late, so in a year under way it does not
        count against the agency (it did: most of the year's actions are not yet due)."""
        return None if self.fallen_due == 0 else round(100 * self.on_time / self.fallen_due, 1)


@dataclass(frozen=True)
class Measures:
    period: Period
    average: str  # "median" or "mean"
    areas: list[AreaMeasures]
    across: AreaMeasures | None  # only when there is more than one area
    scorecard: list[AgencyScore]


def _referral_figures() -> dict:
    return {
        "submitted": Count("pk"),
        "no_first_contact": Count("pk", filter=Q(first_contact_on=None)),
        "contacted": Count("pk", filter=~Q(first_contact_on=None)),
        "to_first_contact": _typical(DaysBetween(F("first_contact_on"), F("submitted_on"))),
        "decided": Count("pk", filter=Q(status__in=DECIDED, decided_at__isnull=False)),
        "to_decision": _typical(
            Case(
                When(status__in=DECIDED, decided_at__isnull=False, then=DaysBetween(TruncDate("decided_at"), F("submitted_on"))),
                output_field=FloatField(),
            )
        ),
    }


def _hearing_figures() -> dict:
    return {"heard": Count("pk"), "to_hearing": _typical(DaysBetween(TruncDate("meeting__starts_at"), TruncDate("referral__decided_at")))}


def _row(name: str, area: MaracArea | None, referrals: dict | None, heard: dict | None, ni32: Ni32, rate: float | None) -> AreaMeasures:
    referrals, heard = referrals or {}, heard or {}
    return AreaMeasures(
        name=name,
        area=area,
        submitted=referrals.get("submitted") or 0,
        no_first_contact=referrals.get("no_first_contact") or 0,
        to_first_contact=Days(referrals.get("to_first_contact"), referrals.get("contacted") or 0),
        to_decision=Days(referrals.get("to_decision"), referrals.get("decided") or 0),
        to_hearing=Days(heard.get("to_hearing"), heard.get("heard") or 0),
        ni32=ni32,
        per_10000_year=rate,
    )


def _by_area(queryset: QuerySet, key: str, figures: dict, *, across: bool) -> tuple[dict, dict | None]:
    """The figures grouped by area, and (if `across`) over all the rows together: a median
    across areas is not a sum of theirs. On PostgreSQL both come from one scan, GROUP BY
    ROLLUP(area) adding the row across them (its area is NULL); elsewhere a second query."""
    grouped = queryset.values(key).annotate(**figures).order_by()
    if across and connection.vendor == "postgresql":
        sql, params = grouped.query.sql_with_params()
        head, group = sql.rsplit(" GROUP BY ", 1)
        if "," in group or " " in group.strip():  # one grouping column, as written above: else refuse to guess
            raise ValueError(f"unexpected grouping: {group}")
        with connection.cursor() as cursor:
            cursor.execute(f"{head} GROUP BY ROLLUP({group})", params)
            names = [column.name for column in cursor.description]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        return {r[key]: r for r in rows if r[key] is not None}, next((r for r in rows if r[key] is None), {})
    by_area = {row[key]: row for row in grouped}
    return by_area, queryset.aggregate(**figures) if across else None


@contextmanager
def _without_jit():
    """On PostgreSQL, these queries without JIT compilation: each is a short aggregate over tens
    of thousands of rows, and compiling it took 0.35 to 0.45 s of the query's time at a million
    referrals, more than it saved (ADR 0028). SET LOCAL ends with the transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def measures_for(areas: list[MaracArea], period: Period, *, today: date) -> Measures:
    """The measures for each area and, for more than one, across them: five queries on
    PostgreSQL (one says not to JIT-compile them), six elsewhere, whatever the number of areas
    or records. Referral times are over the referrals submitted in the period; time to a hearing
    over the cases heard in it."""
    with _without_jit():
        return _measures(areas, period, today=today)


def _measures(areas: list[MaracArea], period: Period, *, today: date) -> Measures:
    ids, several = [a.pk for a in areas], len(areas) > 1
    submitted = Referral.objects.filter(case__area_id__in=ids, submitted_on__gte=period.start, submitted_on__lt=period.end)
    decided_heard = hearings(period, ids).filter(referral__decided_at__isnull=False)
    by_area, referrals_across = _by_area(submitted, "case__area_id", _referral_figures(), across=several)
    heard_by_area, heard_across = _by_area(decided_heard, "meeting__area_id", _hearing_figures(), across=several)
    ni32 = ni32_by_area(period, areas)
    # A period under way is rated over the days gone so far, not as if it were complete.
    years = max(1, min(period.end, today + timedelta(days=1)).toordinal() - period.start.toordinal()) / 365
    rows = [
        _row(
            n.area.name,
            n.area,
            by_area.get(n.area.pk, {}),
            heard_by_area.get(n.area.pk, {}),
            n.own,
            per_10000(n.own.heard, n.area.adult_female_population, years=years),
        )
        for n in ni32
    ]
    across = None
    if several:
        counted = [n for n in ni32 if n.area.adult_female_population]
        population = sum(n.area.adult_female_population or 0 for n in counted) or None
        across = _row(
            "All your areas",
            None,
            referrals_across,
            heard_across,
            ni32_across(ni32),
            per_10000(sum(n.own.heard for n in counted), population, years=years),
        )
    return Measures(period, average_name(), rows, across, scorecard(ids, period, today=today))


def scorecard(area_ids: list[int], period: Period, *, today: date) -> list[AgencyScore]:
    """Actions agreed at the areas' meetings and due in the period, by owning agency, in one
    query. An action done is on time when the update that marked it done (the latest) was made
    on or before its due date; one open or not done past its due date is overdue.

    Each action's outcome is one expression, grouped on with its agency, so the subquery that
    finds when it was done runs once per action done (three filtered counts over it ran it three
    times, and took 1 s over 64,000 actions)."""
    when_done = (
        ActionUpdate.objects.filter(action=OuterRef("pk"), status=Action.Status.DONE)
        .order_by("-at", "-pk")
        .annotate(timing=Case(When(at__date__lte=OuterRef("due_on"), then=Value("on_time")), default=Value("late")))
        .values("timing")[:1]
    )
    outcome = Case(
        When(status=Action.Status.DONE, then=Coalesce(Subquery(when_done), Value("undated"))),
        When(status__in=Action.INCOMPLETE, due_on__lt=today, then=Value("overdue")),
        When(status=Action.Status.NOT_POSSIBLE, then=Value("not_possible")),
        default=Value("not_yet_due"),
        output_field=CharField(),
    )
    rows = (
        Action.objects.filter(meeting__area_id__in=area_ids, due_on__gte=period.start, due_on__lt=period.end)
        .annotate(outcome=outcome)
        .values("agency__name", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:  # at most six rows an agency
        counts.setdefault(row["agency__name"], {})[row["outcome"]] = row["n"]
    return [
        AgencyScore(
            agency=name,
            due=sum(c.values()),
            on_time=c.get("on_time", 0),
            late=c.get("late", 0),
            undated=c.get("undated", 0),
            overdue=c.get("overdue", 0),
            not_possible=c.get("not_possible", 0),
        )
        for name, c in sorted(counts.items())
    ]
