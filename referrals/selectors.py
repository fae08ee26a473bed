"""Reads about cases that several views and services share. Counting and date filtering happen
in SQL; nothing here decrypts anything."""

from datetime import date

from django.db.models import Max, QuerySet

from marac.models import User
from marac.periods import add_months
from marac.security import blind_index
from referrals.access import ReferrerScope
from referrals.models import Case, Incident, Referral, RiskAssessment, Victim
from referrals.rules import REPEAT_WINDOW_MONTHS, escalation_window_start

# A case counts as referred once a referral has been submitted, whatever was decided.
NAME_DOB_INDEX = "victim_name_dob"
REFERRED = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


def last_referral_date(case: Case) -> date | None:
    return case.referrals.filter(status__in=REFERRED).aggregate(last=Max("submitted_on"))["last"]


def police_callouts_last_12_months(case: Case, today: date) -> int:
    return case.incidents.filter(police_callout=True, occurred_on__gt=escalation_window_start(today), occurred_on__lte=today).count()


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
    candidates = set().union(*by_digest.values()) if by_digest else set()
    recent = {
        case.uuid: case
        for case in Case.objects.filter(uuid__in=candidates, referrals__status__in=REFERRED, referrals__submitted_on__gte=since)
        .annotate(last_referred=Max("referrals__submitted_on"))
        .select_related("area")
    }
    result = {}
    for victim in victims:
        uuids = set().union(*(by_digest.get(d, set()) for d in digests[victim.pk])) - {victim.case.uuid}
        found = [recent[u] for u in uuids if u in recent]
        result[victim.pk] = sorted(((c, c.last_referred) for c in found), key=lambda pair: pair[1], reverse=True)
    return result


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
    return (
        Referral.objects.filter(case__area_id__in=areas, status=Referral.Status.SUBMITTED)
        .exclude(case__status=Case.Status.SHREDDED)
        .order_by("submitted_on", "pk")
    )
