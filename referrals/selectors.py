"""Reads about cases that several views and services share. Counting and date filtering happen
in SQL; nothing here decrypts anything."""

import re
from datetime import date

from django.db import models
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.lookups import GreaterThan, IsNull

from marac.models import User
from marac.periods import add_months
from marac.security import blind_index
from marac.security.policy import Rel, readable_fields
from marac.viewer import Viewer
from referrals import sections
from referrals.access import AREA_ROLES, ReferrerScope, case_grants, referrer_cases
from referrals.checklists import CHECKLISTS, Band
from referrals.models import Case, Incident, Referral, RiskAssessment, ToolAssessment, Victim
from referrals.rules import REPEAT_WINDOW_MONTHS, escalation_flag, escalation_window_start

# A case counts as referred once a referral has been submitted, whatever was decided.
NAME_DOB_INDEX = "victim_name_dob"
REFERRED = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


def last_referral_date(case: Case) -> date | None:
    return case.referrals.filter(status__in=REFERRED).aggregate(last=Max("submitted_on"))["last"]


def escalation_count_last_12_months(case: Case, today: date) -> int:
    """What the case's area counts towards potential escalation (its escalation basis: incidents
    reported to the police, or police call-outs) in the 12 months to today."""
    flag = escalation_flag(case.area)
    return case.incidents.filter(**{flag: True}, occurred_on__gt=escalation_window_start(today), occurred_on__lte=today).count()


def recent_matches_elsewhere(victim: Victim, today: date) -> list[tuple[Case, date]]:
    """Other cases, in any area, whose victim matches this one (by the blind index over names,
    aliases and dates of birth) and that were referred in the last 12 months: a possible repeat.
    Returns each with its last referral date, most recent first."""
    return matches_elsewhere_for([victim], today)[victim.pk]


def matches_elsewhere_for(victims: list[Victim], today: date) -> dict[int, list[tuple[Case, date]]]:
    """recent_matches_elsewhere for many victims in three queries, whatever their number. It reads
    the victims' stored index digests rather than decrypting their names and dates of birth."""
    stored = blind_index.digests_of(index_name=NAME_DOB_INDEX, subject_uuids=[v.uuid for v in victims])
    digests = {v.pk: stored[v.uuid] for v in victims}
    by_digest: dict[bytes, set] = {}
    for digest, case_uuid in blind_index.entries_for(index_name=NAME_DOB_INDEX, digests=set().union(*digests.values())):
        by_digest.setdefault(digest, set()).add(case_uuid)
    since = add_months(today, -REPEAT_WINDOW_MONTHS)
    # Each victim's own case matches itself: left out before fetching, so a page of victims with
    # no match elsewhere fetches no cases at all.
    others = {v.pk: set().union(*(by_digest.get(d, set()) for d in digests[v.pk])) - {v.case.uuid} for v in victims}
    candidates = set().union(*others.values())
    recent = (
        {
            case.uuid: case
            for case in Case.objects.filter(uuid__in=candidates, referrals__status__in=REFERRED, referrals__submitted_on__gte=since)
            .annotate(last_referred=Max("referrals__submitted_on"))
            .select_related("area")
        }
        if candidates
        else {}
    )
    result = {}
    for victim in victims:
        found = [recent[u] for u in others[victim.pk] if u in recent]
        result[victim.pk] = sorted(((c, c.last_referred) for c in found), key=lambda pair: pair[1], reverse=True)
    _mark_hearings({case for found in result.values() for case, _ in found})
    return result


def _mark_hearings(cases: set[Case]) -> None:
    """Referred there is not heard there: each matched case gets `heard_at`, (area, day) of the
    last meeting that heard it or None, so a match says "heard at" only when one did."""
    heard = sections.last_hearings({case.pk for case in cases}) if cases else {}
    for case in cases:
        case.heard_at = heard.get(case.pk)


def incidents_since(case: Case, since: date) -> list[Incident]:
    return list(case.incidents.filter(occurred_on__gt=since).order_by("occurred_on"))


def _as_read(name: str, value):
    """A choice's label ("Not known"), not the code stored for it ("not_known")."""
    choices = dict(Victim._meta.get_field(name).flatchoices)
    return choices.get(value, value) if choices and isinstance(value, str) else value


def victim_changes(victim: Victim, readable: set[str]) -> list[dict]:
    """The victim record's history as changes: who, when, and each readable field's old and new
    value. Fields the reader may not see are neither shown nor decrypted."""
    rows = list(victim.history.select_related("history_user", "case__data_key").order_by("history_date", "history_id"))
    changes, before = [], {}
    for row in rows:
        after = {name: _as_read(name, getattr(row, name)) for name in sorted(readable)}
        diffs = [(name, before.get(name), value) for name, value in after.items() if not before or before.get(name) != value]
        if diffs:
            changes.append({"when": row.history_date, "who": row.history_user, "created": not before, "diffs": diffs})
        before = after
    return list(reversed(changes))


def referrer_referrals(scope: ReferrerScope) -> QuerySet[Referral]:
    """The referrals the person's agencies made, newest first."""
    return Referral.objects.filter(scope.cases, referring_agency_id__in=scope.agencies).order_by("-submitted_on", "-pk")


def referrer_drafts(scope: ReferrerScope, user: User) -> QuerySet[RiskAssessment]:
    """The person's own checklists not yet referred."""
    return RiskAssessment.objects.filter(scope.cases, assessed_by=user, status=RiskAssessment.Status.DRAFT)


def triage_queue(areas: set[int]) -> QuerySet[Referral]:
    """Referrals waiting for a decision in these areas, oldest first."""
    return referrals_in_status(areas, Referral.Status.SUBMITTED).order_by("submitted_on", "pk")


def waiting_on_referrer(areas: set[int]) -> QuerySet[Referral]:
    """Referrals in these areas the coordinator asked more information about, longest waiting first
    (decided_at is when they asked)."""
    return referrals_in_status(areas, Referral.Status.MORE_INFO).order_by("decided_at", "pk")


def referrals_in_status(areas: set[int], status: str) -> QuerySet[Referral]:
    return Referral.objects.filter(case__area_id__in=areas, status=status).exclude(case__status=Case.Status.SHREDDED)


def with_referral_risk_level(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate `risk_level`: the level of the referral's own checklist, or of the assessment made
    with another tool it rests on (whose levels are the same codes, ADR 0024), for filtering in SQL."""
    checklist = risk_level_sql("assessment__")
    tool_level = When(tool_assessment__isnull=False, then=F("tool_assessment__level"))
    return referrals.annotate(risk_level=models.Case(tool_level, default=checklist, output_field=models.CharField()))


def risk_level_sql(path: str = "") -> models.Case:
    """RiskAssessment.level in SQL: the override band if one was given (it only ever raises the
    level), else the band the score falls in under the checklist's own version. `path` leads from
    the model queried to the checklist ("assessment__" from a referral)."""
    bands = []
    for version, checklist in CHECKLISTS.items():
        for band, lowest in ((Band.HIGH, checklist.high_from), (Band.MEDIUM, checklist.medium_from)):
            bands.append(When(Q(**{f"{path}checklist_version": version, f"{path}score__gte": lowest}), then=Value(band.value)))
    overridden = When(~Q(**{f"{path}override_band": ""}), then=F(f"{path}override_band"))
    return models.Case(overridden, *bands, default=Value(Band.STANDARD.value), output_field=models.CharField())


def with_risk_level(cases: QuerySet[Case], case_path: str = "pk") -> QuerySet:
    """Annotate `risk_level`: the level of the case's latest assessment, its latest complete
    checklist's or, when one was made later, the level another risk tool gave (the same codes,
    ADR 0024; on the same day the checklist stands), None if it has neither; and `risk_from_tool`.
    One indexed subquery a row (assessment_case_latest) and an index probe for other tools
    (tool_assessment_case_latest); the dates are compared only for a case that has one, which
    few do, so lists filter and sort in SQL at the checklist-only cost."""
    checklists = RiskAssessment.objects.filter(case=OuterRef(case_path), status=RiskAssessment.Status.COMPLETE).order_by(
        "-assessed_on", "-pk"
    )
    tools = ToolAssessment.objects.filter(case=OuterRef(case_path)).order_by("-assessed_on", "-pk")
    checklist_on = Subquery(checklists.values("assessed_on")[:1], output_field=models.DateField())
    tool_on = Subquery(tools.values("assessed_on")[:1], output_field=models.DateField())

    def latest(from_tool, from_checklist):  # CASE is evaluated in order: the dates only where a tool was used
        newer = models.Case(
            When(IsNull(checklist_on, True), then=from_tool),
            When(GreaterThan(tool_on, checklist_on), then=from_tool),
            default=from_checklist,
        )
        return models.Case(When(Exists(tools), then=newer), default=from_checklist, output_field=from_checklist.output_field)

    checklist_level = Subquery(checklists.annotate(level=risk_level_sql()).values("level")[:1], output_field=models.CharField())
    tool_level = Subquery(tools.values("level")[:1], output_field=models.CharField())
    return cases.annotate(
        risk_level=latest(tool_level, checklist_level),
        risk_from_tool=latest(Value(True), Value(False, output_field=models.BooleanField())),
    )


# A case reference: letters and digits in hyphen-separated parts, at least one digit ("LEI-2026-0007").
REFERENCE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)+")


def looks_like_reference(text: str) -> bool:
    candidate = text.strip().upper()
    return bool(REFERENCE.fullmatch(candidate)) and any(ch.isdigit() for ch in candidate)


def cases_with_reference(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """The case with this reference, typed in any letter case, among `cases`."""
    return cases.filter(reference=text.strip().upper())


def cases_with_victim(cases: QuerySet[Case], name: str, born: date) -> QuerySet[Case]:
    """Cases among `cases` whose victim has this name (or alias) and date of birth (or an
    alternative one): an exact match of the normalised pair through the blind index, one indexed
    lookup, so no one's record is decrypted to compare. Cases the person may not see are never
    found, because the match is only ever applied to `cases`."""
    found = blind_index.cases_matching(index_name=NAME_DOB_INDEX, values=[blind_index.name_and_birth_date(name, born)])
    return cases.filter(uuid__in=sorted(found))


def relationships_reading(model_label: str, *field_names: str) -> frozenset[Rel]:
    """The relationships that, each on its own, may read every one of these fields."""
    return frozenset(rel for rel in Rel if set(field_names) <= set(readable_fields(model_label, {rel})))


# Who may search by the victim's name and date of birth: those who may read both. Anyone else
# (the auditor's area-wide relationship, say) would use the search as an oracle: "is Sarah
# Mitchell, born 14 March 1989, a MARAC case here?" answered by a reference while her name is Withheld.
NAME_SEARCHERS = relationships_reading("referrals.victim", "name", "date_of_birth")
# Who may see a case's risk level: those who may read the checklist's answers, as on the case page.
RISK_READERS = relationships_reading("referrals.riskassessment", "answers")


def cases_related_as(viewer: Viewer, relationships: frozenset[Rel]) -> Q:
    """The cases to which the person holds at least one of `relationships`, in SQL: the same
    relationships referrals.access.relationships_to_case works out case by case, written only
    for the kinds asked about (a Q on Case, to narrow cases_listed_for)."""
    found = Q(pk__in=[])
    granted = frozenset().union(*(ids for rel, ids in case_grants(viewer).items() if rel in relationships))
    if granted:
        found |= Q(pk__in=sorted(granted))
    roles = [role for role, rel in AREA_ROLES.items() if rel in relationships]
    if roles and (areas := viewer.areas_for(*roles)):
        found |= Q(area_id__in=sorted(areas))
    if Rel.REFERRER in relationships:
        found |= referrer_cases(viewer)
    return found


def victim_search(viewer: Viewer, cases: QuerySet[Case], name: str, born: date) -> QuerySet[Case]:
    """cases_with_victim among only those of `cases` whose victim's name and date of birth the
    person may read: for anyone else a match is never found, exactly as for someone who is not a
    case at all."""
    return cases_with_victim(cases.filter(cases_related_as(viewer, NAME_SEARCHERS)), name, born)
