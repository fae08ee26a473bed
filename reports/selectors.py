"""NI 32 and the quarterly data return (DESIGN 2.3, 2.5), as SQL aggregates over hearings.

A hearing is a case listed (and not taken off) at a meeting that was held: started, in draft,
issued or closed. Each hearing counts, as in SafeLives' data return: a case heard twice in a
period counts twice, and each time it is a repeat or not according to the referral heard. A
repeat is decided when the referral is made, under both definitions (Referral.repeat_current,
Referral.repeat_ni32), so no figure here reads an incident, a date of birth or anything
encrypted, and none loops over cases in Python. Periods are date ranges on the indexed meeting
start, so SQLite needs no per-row date functions (DESIGN 5).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from marac.models import AgencyKind, MaracArea, RepeatDefinition
from marac.periods import Period
from meetings.models import AgendaItem, Meeting
from referrals.models import AgeBand, EthnicGroup, Gender, YesNoNotKnown

HELD = (Meeting.Status.IN_PROGRESS, Meeting.Status.MINUTES_DRAFT, Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)
REPEAT_FIELD = {RepeatDefinition.CURRENT: "referral__repeat_current", RepeatDefinition.NI32_2008: "referral__repeat_ni32"}
PER_10000_BENCHMARK = 40


def _aware(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def held(prefix: str = "") -> Q:
    """Meetings that have happened: started (or further on) and dated today or earlier. The date
    is checked as well as the status: a meeting started before its day was once possible, and a
    status alone must not count a meeting that has not met."""
    tomorrow = _aware(timezone.localdate() + timedelta(days=1))
    return Q(**{f"{prefix}status__in": HELD, f"{prefix}starts_at__lt": tomorrow})


def hearings(period: Period, area_ids) -> QuerySet[AgendaItem]:
    """Cases heard: listed at a held meeting and not taken off. A review of a case heard before
    is not a new case heard, or its referral would be counted twice."""
    return AgendaItem.objects.filter(
        held("meeting__"),
        removed_at=None,
        meeting__area_id__in=area_ids,
        meeting__starts_at__gte=_aware(period.start),
        meeting__starts_at__lt=_aware(period.end),
    ).exclude(added_because=AgendaItem.AddedBecause.REVIEW)


@dataclass(frozen=True)
class Ni32:
    """Repeat cases heard / all cases heard x 100. Numerator and denominator are always shown."""

    repeats: int
    heard: int

    @property
    def percentage(self) -> float | None:
        return None if self.heard == 0 else round(100 * self.repeats / self.heard, 1)

    def __add__(self, other: "Ni32") -> "Ni32":
        return Ni32(self.repeats + other.repeats, self.heard + other.heard)


@dataclass(frozen=True)
class AreaNi32:
    area: MaracArea
    own: Ni32  # under the area's own repeat definition
    other: Ni32  # under the other definition, for comparison


def other_definition(definition: str) -> str:
    return RepeatDefinition.NI32_2008 if definition == RepeatDefinition.CURRENT else RepeatDefinition.CURRENT


def ni32_by_area(period: Period, areas: list[MaracArea]) -> list[AreaNi32]:
    """NI 32 for each area, in one grouped query; an area with no hearings is 0 of 0, not an error."""
    rows = {
        row["meeting__area_id"]: row
        for row in hearings(period, [a.pk for a in areas])
        .values("meeting__area_id")
        .annotate(
            heard=Count("pk"),
            current=Count("pk", filter=Q(referral__repeat_current=True)),
            ni32=Count("pk", filter=Q(referral__repeat_ni32=True)),
        )
        .order_by()
    }
    result = []
    for area in areas:
        row = rows.get(area.pk, {"heard": 0, "current": 0, "ni32": 0})
        counts = {RepeatDefinition.CURRENT: row["current"], RepeatDefinition.NI32_2008: row["ni32"]}
        other = other_definition(area.repeat_definition)
        result.append(AreaNi32(area, Ni32(counts[area.repeat_definition], row["heard"]), Ni32(counts[other], row["heard"])))
    return result


def ni32_across(rows: list[AreaNi32]) -> Ni32:
    """Across areas: each area's hearings under its own definition, summed."""
    return sum((row.own for row in rows), Ni32(0, 0))


def per_10000(cases: int, population: int | None, *, years: float = 1.0) -> float | None:
    """Cases a year per 10,000 adult women (SafeLives benchmark: 40)."""
    if not population:
        return None
    return round(cases / years / population * 10_000, 1)


@dataclass(frozen=True)
class DataReturn:
    area: MaracArea
    period: Period
    meetings_held: int
    heard: int
    ni32: Ni32
    by_agency_kind: list[tuple[str, int]]
    from_partners: int  # referred by an agency other than the police
    children: int
    children_school_told: int  # of `children`, those whose school's safeguarding lead was told (Operation Encompass)
    minoritised: int
    lgbt: int
    disabled: int
    male: int
    aged_16_17: int
    young_perpetrators: int
    per_10000_year: float | None
    missing: dict[str, int]

    def share(self, count: int) -> float | None:
        return None if self.heard == 0 else round(100 * count / self.heard, 1)

    @property
    def warnings(self) -> list[str]:
        warnings = [f"{count} of {self.heard} cases heard have no {what} recorded" for what, count in self.missing.items() if count]
        if not self.area.adult_female_population:
            warnings.append("the area's adult female population is not recorded, so cases per 10,000 cannot be worked out")
        return warnings


def data_return(area: MaracArea, period: Period, *, year_to_date: Period) -> DataReturn:
    """The quarterly data return for one area: data_returns for that area alone, so one area's
    figures and every area's are worked out by the same queries. `year_to_date` is the 12 months
    the cases-per-10,000 figure is worked over."""
    return data_returns([area], period, year_to_date=year_to_date)[0]


def data_returns(areas: list[MaracArea], period: Period, *, year_to_date: Period) -> list[DataReturn]:
    """Every area's return for the period in six grouped queries, whatever the number of areas
    (issue 18, ADR 0028): the same figures as data_return, area by area (tests/reports/
    test_data_return_from_indexes.py holds them equal), each query reading the areas' meetings in
    the period from the meeting (area, starts_at) index and their agenda items by meeting."""
    ids = [a.pk for a in areas]
    heard = hearings(period, ids)
    victim = "case__victim__"
    counts = {
        row["meeting__area_id"]: row
        for row in heard.values("meeting__area_id")
        .annotate(
            total=Count("pk"),
            current=Count("pk", filter=Q(referral__repeat_current=True)),
            ni32=Count("pk", filter=Q(referral__repeat_ni32=True)),
            from_partners=Count("pk", filter=Q(referral__isnull=False) & ~Q(referral__referring_agency__kind=AgencyKind.POLICE)),
            no_referral=Count("pk", filter=Q(referral__isnull=True)),
            no_disabled=Count("pk", filter=Q(**{f"{victim}disabled": YesNoNotKnown.NOT_KNOWN})),
            no_lgbt=Count("pk", filter=Q(**{f"{victim}lgbt": YesNoNotKnown.NOT_KNOWN})),
            minoritised=Count("pk", filter=~Q(**{f"{victim}ethnic_group__in": [EthnicGroup.WHITE, EthnicGroup.NOT_KNOWN]})),
            lgbt=Count("pk", filter=Q(**{f"{victim}lgbt": YesNoNotKnown.YES})),
            disabled=Count("pk", filter=Q(**{f"{victim}disabled": YesNoNotKnown.YES})),
            male=Count("pk", filter=Q(**{f"{victim}gender": Gender.MALE})),
            aged_16_17=Count("pk", filter=Q(**{f"{victim}age_band": AgeBand.AGED_16_17})),
            no_ethnicity=Count("pk", filter=Q(**{f"{victim}ethnic_group": EthnicGroup.NOT_KNOWN})),
            no_gender=Count("pk", filter=Q(**{f"{victim}gender": Gender.NOT_KNOWN})),
            no_age=Count("pk", filter=Q(**{f"{victim}age_band": AgeBand.NOT_KNOWN})),
        )
        .order_by()
    }
    kinds = dict(AgencyKind.choices)
    by_kind: dict[int, list[tuple[str, int]]] = {}
    for row in heard.values("meeting__area_id", "referral__referring_agency__kind").annotate(n=Count("pk")).order_by("-n"):
        by_kind.setdefault(row["meeting__area_id"], []).append(
            (kinds.get(row["referral__referring_agency__kind"], "Listed without a referral"), row["n"])
        )
    year_heard = dict(hearings(year_to_date, ids).values_list("meeting__area_id").annotate(n=Count("pk")).order_by())
    meetings_held = dict(
        Meeting.objects.filter(held(), area_id__in=ids, starts_at__gte=_aware(period.start), starts_at__lt=_aware(period.end))
        .values_list("area_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # A child (or young perpetrator) counts once for each hearing of their case, as in data_return.
    children = {
        row["meeting__area_id"]: row
        for row in heard.filter(case__household__is_child=True)
        .values("meeting__area_id")
        .annotate(
            children=Count("case__household"),
            children_school_told=Count("case__household", filter=Q(case__household__encompass_notified_at__isnull=False)),
        )
        .order_by()
    }
    young = dict(
        heard.filter(case__perpetrators__aged_17_or_under=True)
        .values_list("meeting__area_id")
        .annotate(n=Count("case__perpetrators"))
        .order_by()
    )
    returns = []
    for area in areas:
        c = counts.get(area.pk) or dict.fromkeys(("total", "current", "ni32", *_COUNTED), 0)
        kids = children.get(area.pk, {"children": 0, "children_school_told": 0})
        repeats = c["current"] if area.repeat_definition == RepeatDefinition.CURRENT else c["ni32"]
        returns.append(
            DataReturn(
                area=area,
                period=period,
                meetings_held=meetings_held.get(area.pk, 0),
                heard=c["total"],
                ni32=Ni32(repeats, c["total"]),
                by_agency_kind=by_kind.get(area.pk, []),
                from_partners=c["from_partners"],
                children=kids["children"],
                children_school_told=kids["children_school_told"],
                minoritised=c["minoritised"],
                lgbt=c["lgbt"],
                disabled=c["disabled"],
                male=c["male"],
                aged_16_17=c["aged_16_17"],
                young_perpetrators=young.get(area.pk, 0),
                per_10000_year=per_10000(year_heard.get(area.pk, 0), area.adult_female_population),
                missing={
                    "ethnicity": c["no_ethnicity"],
                    "gender": c["no_gender"],
                    "age": c["no_age"],
                    "disability": c["no_disabled"],
                    "LGBT+ status": c["no_lgbt"],
                    "referral (listed by the coordinator)": c["no_referral"],
                },
            )
        )
    return returns


_COUNTED = (
    "from_partners",
    "no_referral",
    "no_disabled",
    "no_lgbt",
    "minoritised",
    "lgbt",
    "disabled",
    "male",
    "aged_16_17",
    "no_ethnicity",
    "no_gender",
    "no_age",
)


def repeat_hearings(period: Period, area_ids, definition_field: str) -> QuerySet[AgendaItem]:
    """The repeat hearings behind a numerator, for the drill-down."""
    return (
        hearings(period, area_ids)
        .filter(**{definition_field: True})
        .select_related("case__area", "case__data_key", "case__victim", "meeting")
        .order_by("meeting__starts_at", "pk")
    )
