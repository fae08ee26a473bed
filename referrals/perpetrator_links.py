"""Serial perpetrators (issue 18, ADR 0026): one perpetrator linked across victims' cases through a
blind index of their own, so a coordinator or chair can see that the person harming this victim
is named in other cases too, without decrypting anyone's record.

The index (`perpetrator_name_dob`, its own HMAC key) holds name + date of birth and each alias +
date of birth. A perpetrator with no date of birth is not indexed: a name alone ("Lee Smith")
would link strangers, and a false link shown to a panel ranking perpetrators does harm.

Who sees links: the coordinator or chair of the case's area (Rel.COORDINATOR / Rel.CHAIR), and
nobody else. A referrer, representative, auditor or emergency-access holder could otherwise add
a perpetrator with a known name and date of birth and learn whether that person is known to any
MARAC, and where: the index would be an oracle. So for them nothing is looked up at all, and
their pages are the same whether links exist or not. Linked cases in the viewer's own areas are
listed (by reference, opened through the normal access getter); the rest are only a count per
area with that area's coordinator to contact. Every lookup is one audit event for the case,
plus a read of each linked case's reference.

Cost: two indexed queries on the index (this case's digests by case, then the entries with those
digests), one for the linked cases and one for other areas' coordinators, whatever the number of
links (bench/perpetrator_links.py).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

import audit
from audit.models import AccessEvent
from marac.models import Membership, Role
from marac.security import blind_index
from marac.security.crypto import IntegrityFailure
from marac.security.models import BlindIndexEntry
from marac.security.policy import RedactedView, Rel
from marac.viewer import Viewer, ViewerRequest
from referrals.access import relationships_to_case
from referrals.models import Case, Perpetrator, Referral
from referrals.selectors import REFERRED

PERPETRATOR_INDEX = "perpetrator_name_dob"
# Who may learn that a perpetrator is linked to other cases: those who run the area's panel.
LINK_VIEWERS = frozenset({Rel.COORDINATOR, Rel.CHAIR})
LINK_AREA_ROLES = (Role.COORDINATOR, Role.CHAIR)


# --- Keeping the index in step ------------------------------------------------------------------


def perpetrator_index_values(perpetrator: Perpetrator) -> set[str]:
    """Name and each alias, each with the date of birth; nothing without a date of birth."""
    if not perpetrator.date_of_birth:
        return set()
    names = [perpetrator.name, *(perpetrator.aliases or [])]
    return {blind_index.name_and_birth_date(n, perpetrator.date_of_birth) for n in names if n and n.strip()}


@transaction.atomic
def perpetrator_reindex(*, perpetrator: Perpetrator) -> None:
    """Make the perpetrator's entries match their record: call after every add or edit.

    Locks the case row first, as case_shred does before deleting the case's entries: a
    perpetrator read before the case was erased (by the add form, or by index_perpetrators) must
    not write entries that link the erased case again. An erased case keeps none."""
    status = Case.objects.select_for_update().filter(pk=perpetrator.case_id).values_list("status", flat=True).first()
    erased = status in (None, Case.Status.SHREDDED)
    blind_index.index_replace(
        index_name=PERPETRATOR_INDEX,
        case_uuid=perpetrator.case.uuid,
        subject_uuid=perpetrator.uuid,
        values=() if erased else perpetrator_index_values(perpetrator),
    )


def perpetrator_unindex(*, perpetrator: Perpetrator) -> None:
    """Remove the perpetrator's entries: call when a perpetrator is removed from a case. (Erasing
    the whole case removes them with every other entry of the case: services.case_shred.)"""
    blind_index.index_replace(index_name=PERPETRATOR_INDEX, case_uuid=perpetrator.case.uuid, subject_uuid=perpetrator.uuid, values=())


def perpetrators_reindex_all(*, batch: int = 200) -> tuple[int, int]:
    """Index every perpetrator of every live case (the `index_perpetrators` command, run once
    after upgrading). Decrypts each perpetrator under its case's data key, so it runs where the
    keyring is, never in a migration (ADR 0026). Idempotent: entries are replaced, not added.
    Returns how many were indexed and how many failed to decrypt (each logged, none stopping the rest)."""
    done, failed = 0, []
    perpetrators = Perpetrator.objects.exclude(case__status=Case.Status.SHREDDED).select_related("case__data_key").order_by("pk")
    for perpetrator in perpetrators.iterator(chunk_size=batch):
        try:
            perpetrator_reindex(perpetrator=perpetrator)
        except IntegrityFailure:
            # A row that fails to decrypt (tampered, or moved from another row) is logged by the
            # field and skipped: it must not stop every perpetrator after it from being linked.
            failed.append(perpetrator.case.reference)
            continue
        done += 1
    audit.record(event="perpetrators_indexed", purpose=f"{done} perpetrators indexed for links")
    for reference in failed:
        audit.record(
            event="perpetrator_index_failed",
            case_reference=reference,
            purpose="a perpetrator failed to decrypt and was not indexed",
            outcome=AccessEvent.Outcome.INTEGRITY_FAILURE,
        )
    return done, len(failed)


# --- Looking links up ---------------------------------------------------------------------------


def may_see_links(relationships: set[Rel]) -> bool:
    return bool(relationships & LINK_VIEWERS)


def linked_case_uuids(*, case: Case, subjects: Iterable[uuid.UUID] | None = None) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each indexed perpetrator of the case (or only `subjects`), the other cases sharing one
    of their digests: two indexed queries, whatever the number of perpetrators or links."""
    own = BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX, case_uuid=case.uuid)
    if subjects is not None:
        own = own.filter(subject_uuid__in=list(subjects))
    by_digest: dict[bytes, set[uuid.UUID]] = defaultdict(set)
    for subject, digest in own.values_list("subject_uuid", "digest"):
        by_digest[bytes(digest)].add(subject)
    linked: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for digest, case_uuid in blind_index.entries_for(index_name=PERPETRATOR_INDEX, digests=set(by_digest)):
        if case_uuid != case.uuid:
            for subject in by_digest[digest]:
                linked[subject].add(case_uuid)
    return linked


@dataclass(frozen=True)
class OtherArea:
    """Linked cases in an area where the viewer has no say: a count and whom to ask, no reference."""

    area_name: str
    count: int
    coordinators: list[str]


@dataclass(frozen=True)
class LinkedCase:
    reference: str
    area_name: str
    status: str
    referred_on: list[date]
    victim_name: Any  # the name, or Withheld, through the field policy


@dataclass
class PerpetratorLinks:
    perpetrator_pk: int
    name: Any  # through the field policy
    listed: list[LinkedCase] = field(default_factory=list)
    elsewhere: list[OtherArea] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.listed) + sum(area.count for area in self.elsewhere)


def _coordinators(area_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    memberships = Membership.objects.filter(area_id__in=sorted(area_ids), role=Role.COORDINATOR, is_active=True, user__is_active=True)
    for membership in memberships.select_related("user").order_by("user__username"):
        if membership.user.display_name not in found[membership.area_id]:
            found[membership.area_id].append(membership.user.display_name)
    return found


def _linked_cases(uuids: set[uuid.UUID], *, with_victims: bool) -> tuple[dict[uuid.UUID, Case], dict[int, list[date]]]:
    """The live linked cases and, for the perpetrator's page, each one's referral dates: two queries."""
    cases = Case.objects.filter(uuid__in=sorted(uuids)).exclude(status=Case.Status.SHREDDED).select_related("area")
    if with_victims:
        cases = cases.select_related("victim", "data_key")
    found = {case.uuid: case for case in cases}
    referred_on: dict[int, list[date]] = defaultdict(list)
    if with_victims and found:
        # Referrals made, whatever was decided (as the case counts as referred); not drafts or withdrawals.
        dates = Referral.objects.filter(case_id__in=sorted(c.pk for c in found.values()), status__in=REFERRED, submitted_on__isnull=False)
        for case_id, on in dates.order_by("submitted_on").values_list("case_id", "submitted_on"):
            if on:
                referred_on[case_id].append(on)
    return found, referred_on


def _links_shown(
    viewer: Viewer, perpetrators: list[tuple[Perpetrator, Any]], linked: dict[uuid.UUID, set[uuid.UUID]], *, with_victims: bool
) -> tuple[list[PerpetratorLinks], dict[str, set[str]]]:
    """Split each perpetrator's linked cases into the viewer's areas (listed) and others (counted);
    returns the links and the reads to log per linked case reference."""
    cases, referred = _linked_cases(set().union(*linked.values()), with_victims=with_victims)
    own_areas = viewer.areas_for(*LINK_AREA_ROLES)
    contacts = _coordinators({c.area_id for c in cases.values() if c.area_id not in own_areas})
    reads: dict[str, set[str]] = defaultdict(set)
    shown = []
    for perpetrator, name in perpetrators:
        links = PerpetratorLinks(perpetrator.pk, name)
        counted: dict[int, list[Case]] = defaultdict(list)
        for case in sorted((cases[u] for u in linked.get(perpetrator.uuid, ()) if u in cases), key=lambda c: c.reference):
            if case.area_id not in own_areas:
                counted[case.area_id].append(case)
                reads[case.reference].add("perpetrator_link_counted")
                continue
            victim_name: Any = None
            if with_victims:
                view = RedactedView(case.victim, relationships_to_case(viewer, case))
                victim_name = view.name
                reads[case.reference].update(view.revealed)
            reads[case.reference].add("perpetrator_link")
            links.listed.append(LinkedCase(case.reference, case.area.name, case.get_status_display(), referred[case.pk], victim_name))
        links.elsewhere = [
            OtherArea(group[0].area.name, len(group), contacts.get(area_id, [])) for area_id, group in sorted(counted.items())
        ]
        if links.count:
            shown.append(links)
    return shown, reads


def _log(request: ViewerRequest, case: Case, shown: list[PerpetratorLinks], reads: dict[str, set[str]], *, page: str) -> None:
    total = len(set(reads) - {case.reference})
    audit.record(
        event="perpetrator_links_looked_up",
        request=request,
        case_reference=case.reference,
        purpose=f"perpetrator links on the {page}: {total} linked case{'s' if total != 1 else ''}",
    )
    if reads:
        audit.record_case_reads(request=request, reads=reads, purpose=f"perpetrator link from {case.reference}")


def case_page_links(request: ViewerRequest, case: Case, relationships: set[Rel]) -> list[PerpetratorLinks]:
    """The case page's "linked to N other cases", for the area's coordinator or chair only.

    Anyone else gets an empty list before anything is looked up: no query, no log line, nothing
    that differs with whether a link exists. One lookup is logged per page view (one event for
    the case, one read per linked case), whether or not anything was found: a coordinator
    looking at a perpetrator's other cases is itself worth knowing about.
    """
    if case.is_shredded or not may_see_links(relationships):
        return []
    perpetrators = list(case.perpetrators.select_related("case__data_key").order_by("pk"))
    linked = linked_case_uuids(case=case)
    views = [(p, RedactedView(p, relationships, "perpetrator.")) for p in perpetrators if p.uuid in linked]
    # The perpetrators' names are logged with the rest of the case page's reads.
    shown, reads = _links_shown(request.viewer, [(p, view.name) for p, view in views], linked, with_victims=False)
    _log(request, case, shown, reads, page="case page")
    return shown


def perpetrator_page_links(
    request: ViewerRequest, case: Case, perpetrator: Perpetrator, relationships: set[Rel]
) -> tuple[PerpetratorLinks, RedactedView]:
    """One perpetrator's linked cases, with the victims' names (through the field policy) of those
    in the viewer's areas. The getter has already refused anyone but the coordinator or chair."""
    view = RedactedView(perpetrator, relationships, "perpetrator.")
    linked = linked_case_uuids(case=case, subjects=[perpetrator.uuid])
    shown, reads = _links_shown(request.viewer, [(perpetrator, view.name)], linked, with_victims=True)
    reads[case.reference].update(view.revealed)
    _log(request, case, shown, reads, page="perpetrator's page")
    return (shown[0] if shown else PerpetratorLinks(perpetrator.pk, view.name)), view
