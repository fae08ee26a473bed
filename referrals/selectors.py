"""Reads about cases that several views and services share. Counting and date filtering happen
in SQL; nothing here decrypts anything."""

from datetime import date

from django.db.models import Max

from marac.security import blind_index
from referrals.models import Case, Incident, Referral, Victim
from referrals.rules import REPEAT_WINDOW_MONTHS, add_months, escalation_window_start

# A case counts as referred once a referral has been submitted, whatever was decided.
REFERRED = (Referral.Status.SUBMITTED, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


def last_referral_date(case: Case) -> date | None:
    return case.referrals.filter(status__in=REFERRED).aggregate(last=Max("submitted_on"))["last"]


def police_callouts_last_12_months(case: Case, today: date) -> int:
    return case.incidents.filter(police_callout=True, occurred_on__gt=escalation_window_start(today), occurred_on__lte=today).count()


def recent_matches_elsewhere(victim: Victim, today: date) -> list[tuple[Case, date]]:
    """Other cases, in any area, whose victim matches this one (by the blind index over names,
    aliases and dates of birth) and that were referred in the last 12 months: a possible repeat.
    Returns each with its last referral date, most recent first."""
    from referrals.services import victim_index_values

    case_uuids = blind_index.cases_matching(index_name="victim_name_dob", values=victim_index_values(victim))
    since = add_months(today, -REPEAT_WINDOW_MONTHS)
    matches = (
        Case.objects.filter(uuid__in=case_uuids - {victim.case.uuid})
        .filter(referrals__status__in=REFERRED, referrals__submitted_on__gte=since)
        .annotate(last_referred=Max("referrals__submitted_on"))
        .select_related("area")
        .order_by("-last_referred")
    )
    return [(case, case.last_referred) for case in matches]


def incidents_since(case: Case, since: date) -> list[Incident]:
    return list(case.incidents.filter(occurred_on__gt=since).order_by("occurred_on"))
