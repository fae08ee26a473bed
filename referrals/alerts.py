"""Safe-contact changes (issue 18 item 4, ADR 0025): a proper address-change process, as the ICO
asks after reprimands for revealed safe addresses and a voicemail about a new address left on the
abuser's phone.

When the safe address, safe phone, safe times or "never contact via" of a case change, in the same
transaction as the change:
- a CaseAlert per field (a code, who and when: never the value) is shown at the top of the case
  page to everyone related to the case who might contact her, until they acknowledge it, and for
  SHOWN_FOR_DAYS at most (after that the change is in the record's history, not a banner);
- everyone related is notified (ids only): the workers allocated to the case, the area's
  coordinators and chairs, representatives who accepted the statement of a meeting about to hear
  it (registered by meetings, which referrals does not import), and holders of live emergency
  access;
- the change is logged, the fields named, never their values;
- the case's stored packs go stale: victim_update sends case_changed, and every pack showing the
  case prints its recent alerts, so even a pack whose reader may not see the new value changes.

Alerts are read by everyone related but auditors: they say nothing of the value, and auditors
never contact the victim.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

import audit
from marac.models import Membership, NoticeKind, Role, User
from marac.notices import notify
from marac.security.policy import Rel
from marac.viewer import Viewer
from referrals import teams
from referrals.access import relationships_to_case
from referrals.models import BreakGlassGrant, Case, CaseAlert, CaseAlertSeen, Victim

# All four raise an alert: a new safe time or a new "never via" changes how to reach her as surely
# as a new address does, and contacting her the old way is the danger the ICO describes.
SAFE_FIELDS = tuple(CaseAlert.What.values)
SHOWN_FOR_DAYS = 28
# Everyone with a tie to the case sees its alerts, except auditors (who never contact her).
SEE_ALERTS = frozenset(Rel) - {Rel.AUDITOR, Rel.OWN_AGENCY}

# Others who must be told about a case: functions of a case giving user ids (meetings registers the
# representatives of a meeting about to hear it, from meetings/contributions.py).
PeopleTold = Callable[[Case], Iterable[int]]
_people_told: list[PeopleTold] = []


def register_people_told(people: PeopleTold) -> None:
    if people not in _people_told:
        _people_told.append(people)


def safe_fields_changed(victim: Victim, changes: dict) -> list[str]:
    """Which safe-contact fields these changes really change (the form posts unchanged ones too).
    Call before the changes are applied."""
    return [name for name in SAFE_FIELDS if name in changes and (changes[name] or "") != (getattr(victim, name) or "")]


def people_related(case: Case) -> set[int]:
    """Everyone who may be about to contact the victim through the case: see the module docstring.
    Each is told only while they still have a tie to the case that shows its alerts, worked out as
    the case's getter would (referrals.access): an attendance, a grant or a membership found here
    is not trusted alone (a representative whose membership ended or whose agency is no longer
    invited, a grant whose membership ended, a meeting of the area a case was transferred from)."""
    candidates = _candidates(case)
    users = User.objects.filter(pk__in=candidates, is_active=True)
    return {user.pk for user in users if relationships_to_case(Viewer.of(user), case) & SEE_ALERTS}


def _candidates(case: Case) -> set[int]:
    told = set(teams.case_team(case).values_list("pk", flat=True))
    told |= set(
        Membership.objects.filter(area_id=case.area_id, role__in=(Role.COORDINATOR, Role.CHAIR), is_active=True).values_list(
            "user_id", flat=True
        )
    )
    told |= set(BreakGlassGrant.objects.filter(case=case, ended_at=None, expires_at__gt=timezone.now()).values_list("user_id", flat=True))
    for people in _people_told:
        told |= set(people(case))
    return told


@transaction.atomic
def safe_contact_changed(*, case: Case, fields: list[str], by: User, request=None) -> list[CaseAlert]:
    """Raise the alerts, notify and log a change of safe-contact fields; inside victim_update's
    transaction, so all of it exists exactly when the change does. Values never pass through here."""
    if not fields:
        return []
    now = timezone.now()
    alerts = [CaseAlert.objects.create(case=case, what=name, raised_at=now, raised_by=by) for name in fields]
    notify(
        kind=NoticeKind.SAFE_CONTACT_CHANGED,
        subject_key=f"case_alert:{alerts[0].pk}",
        users=User.objects.filter(pk__in=people_related(case)),
        url=reverse("case-alert-open", args=[alerts[0].pk]),
        by=by,
    )
    audit.record(
        event="safe_contact_changed", user=by, request=request, case_reference=case.reference, fields=fields, purpose="safe contact change"
    )
    return alerts


@dataclass(frozen=True)
class AlertShown:
    what: str
    label: str  # "The safe address"
    on: datetime
    pk: int = 0  # posted back by "I have read this", so only the alerts the person saw are acknowledged

    @property
    def sentence(self) -> str:
        day = timezone.localtime(self.on).date()
        return f"{self.label} changed on {day.day} {day:%B %Y}: use only the current details."


def _shown(alert: CaseAlert) -> AlertShown:
    return AlertShown(alert.what, alert.get_what_display(), alert.raised_at, alert.pk)


def _recent(now: datetime | None = None):
    return CaseAlert.objects.filter(raised_at__gte=(now or timezone.now()) - timedelta(days=SHOWN_FOR_DAYS))


def open_for(case: Case, user: User, relationships: set[Rel]) -> list[AlertShown]:
    """The case's recent alerts this person has not acknowledged, newest first; none for someone
    whose only tie is auditing."""
    if not relationships & SEE_ALERTS:
        return []
    seen = CaseAlertSeen.objects.filter(alert=OuterRef("pk"), user=user)
    return [_shown(a) for a in _recent().filter(case=case).exclude(Exists(seen))]


def recent_by_case(case_ids: Iterable[int]) -> dict[int, list[AlertShown]]:
    """The recent alerts of many cases in one query, for a meeting's pages and packs. Packs print
    them whoever acknowledged them: a pack is a document, and an alert in it must not depend on
    whether its reader clicked a button."""
    by_case: dict[int, list[AlertShown]] = {}
    for alert in _recent().filter(case_id__in=list(case_ids)):
        by_case.setdefault(alert.case_id, []).append(_shown(alert))
    return by_case


@transaction.atomic
def alerts_acknowledge(*, case: Case, by: User, relationships: set[Rel], alert_ids: Iterable[int], request=None) -> int:
    """The person has read these of the case's open alerts (the ones the page showed them): they
    stop showing to them. Returns how many. Only those ids: an alert raised after the page was
    shown (two changes close together) stays open until they have seen it too; an id of another
    case's alert, or of one already acknowledged or no longer recent, is ignored."""
    if not relationships & SEE_ALERTS:
        return 0
    seen = CaseAlertSeen.objects.filter(alert=OuterRef("pk"), user=by)
    alerts = list(_recent().filter(case=case, pk__in=list(alert_ids)).exclude(Exists(seen)))
    CaseAlertSeen.objects.bulk_create([CaseAlertSeen(alert=a, user=by) for a in alerts], ignore_conflicts=True)
    if alerts:
        fields = sorted({a.what for a in alerts})
        audit.record(
            event="case_alert_acknowledged", user=by, request=request, case_reference=case.reference, fields=fields, purpose="case alert"
        )
    return len(alerts)
