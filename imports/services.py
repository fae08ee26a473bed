"""Importing a partnership's cases from a spreadsheet (issue 19, ADR 0029).

`cases_import` checks every row, finds duplicates by blind index (within the file and against the
area's cases), and, unless it is a dry run or the file has errors the person did not ask to skip,
writes the cases in bulk through the shared fast path (`marac.bulk.rows_insert`): each case under
a data key of its own, every value encrypted as any save encrypts it, each encrypted row in the
audit chain, and the blind-index entries that let repeats and perpetrator links find them later.
One access event records the import (or the check), with its counts and never a value.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

import audit
from imports.reading import Sheet
from imports.rows import ParsedCase, RowChecker, RowError, columns_of
from marac.bulk import chain_entries_at_end, rows_insert
from marac.history import acting
from marac.models import Agency, MaracArea, User
from marac.security import blind_index
from marac.security.datakeys import data_key_new
from marac.security.models import BlindIndexEntry
from meetings.models import Action, AgendaItem, Meeting, ReferralListing
from referrals.checklists import CURRENT
from referrals.models import Case, CaseCounter, HouseholdMember, Perpetrator, Referral, RiskAssessment, Victim
from referrals.perpetrator_links import PERPETRATOR_INDEX
from referrals.rules import Criterion
from referrals.selectors import NAME_DOB_INDEX
from referrals.services import age_band_on

PURPOSE = "case import"
LOOKUP_BATCH = 5000  # digests or uuids per IN (...): well inside SQLite's limit on parameters
ACTION_DUE_DAYS = 28  # imported actions fall due four weeks after the meeting that agreed them
OVERRIDE_RATIONALE = "Risk level recorded in the spreadsheet imported from before this service"


@dataclass
class ImportReport:
    """What a check or an import found and did. Row numbers are the spreadsheet's own."""

    area_code: str
    rows_read: int
    errors: list[RowError] = field(default_factory=list)
    duplicates_in_file: list[tuple[int, int]] = field(default_factory=list)  # (row, the earlier row)
    duplicates_existing: list[tuple[int, str]] = field(default_factory=list)  # (row, the case's reference)
    notices: list[str] = field(default_factory=list)
    ready: list[ParsedCase] = field(default_factory=list)  # rows that would be imported
    imported: list[str] = field(default_factory=list)  # references of the cases made
    dry_run: bool = False
    good_rows_only: bool = False

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def blocked(self) -> bool:
        """A file with any error imports nothing unless the person asked for the good rows only."""
        return bool(self.errors) and not self.good_rows_only

    def counts(self) -> str:
        """The counts, for the access log and the command's last line: numbers only."""
        return (
            f"{self.rows_read} read, {len(self.imported)} imported, {len(self.duplicates_in_file)} duplicates in file, "
            f"{len(self.duplicates_existing)} already cases, {self.rows_with_errors} with errors"
        )


def cases_check(*, sheet: Sheet, area: MaracArea, today: date) -> ImportReport:
    """Every row checked and every duplicate found; nothing written. Raises FileProblem when the
    columns cannot be made out."""
    checker = RowChecker(agencies=Agency.objects.all(), today=today, positions=columns_of(sheet))
    report = ImportReport(area_code=area.short_code, rows_read=len(sheet.rows), notices=list(sheet.notices))
    parsed = []
    for number, cells in sheet.rows:
        case, errors = checker.check(number, cells)
        report.errors += errors
        if case is not None:
            parsed.append(case)
    existing = _existing_cases(area, {value for case in parsed for value in case.victim_index})
    first_row: dict[str, int] = {}
    for case in parsed:
        earlier = next((first_row[v] for v in sorted(case.victim_index) if v in first_row), None)
        known = next((existing[v] for v in sorted(case.victim_index) if v in existing), None)
        if known is not None:
            report.duplicates_existing.append((case.row, known))
        elif earlier is not None:
            report.duplicates_in_file.append((case.row, earlier))
        else:
            report.ready.append(case)
        for value in case.victim_index:
            first_row.setdefault(value, case.row)
    return report


@transaction.atomic
def cases_import(
    *,
    sheet: Sheet,
    area: MaracArea,
    by: User,
    dry_run: bool,
    good_rows_only: bool,
    request: HttpRequest | None = None,
    via: str = "web",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check the file and, unless `dry_run` or blocked by errors, import its new cases into
    `area` as `by` (a coordinator of the area: the caller has checked). One access event either
    way. Imports into one area take turns (the area's row is locked), so two imports of the same
    file at once cannot both find its victims new."""
    MaracArea.objects.select_for_update().filter(pk=area.pk).first()
    report = cases_check(sheet=sheet, area=area, today=timezone.localdate())
    report.dry_run, report.good_rows_only = dry_run, good_rows_only
    if not dry_run and not report.blocked and report.ready:
        report.imported = _write(report.ready, area=area, by=by, progress=progress)
    # A refused import (errors, and not the good rows only) is logged as refused: "imported" with
    # nothing imported would read, to an auditor, as an import of a file already in.
    event = "cases_import_checked" if dry_run else "cases_import_refused" if report.blocked else "cases_imported"
    audit.record(
        event=event,
        user=by,
        request=request,
        fields=sorted(columns_of(sheet)),  # which columns the file had: names, never values
        purpose=f"{area.short_code} ({via}): {report.counts()}",
    )
    return report


# --- writing ----------------------------------------------------------------------------------


def _write(cases: list[ParsedCase], *, area: MaracArea, by: User, progress: Callable[[int], None] | None) -> list[str]:
    def insert(rows: list) -> list:
        return rows_insert(rows, by=by, purpose=PURPOSE, progress=progress)

    with chain_entries_at_end():  # the chain's lock held for the last moment only, not the whole import
        return _write_cases(cases, area=area, by=by, insert=insert)


def _write_cases(cases: list[ParsedCase], *, area: MaracArea, by: User, insert: Callable[[list], list]) -> list[str]:
    today = timezone.localdate()
    references = _references(area, today.year, len(cases))
    uuids = [uuid.uuid4() for _ in cases]
    keys = insert([data_key_new(case_uuid=u) for u in uuids])
    made = insert(
        [
            acting(Case(uuid=u, reference=ref, area=area, referring_agency=c.agency, data_key=key, created_by=by), by)
            for u, ref, key, c in zip(uuids, references, keys, cases, strict=True)
        ]
    )
    victims = insert(
        [Victim(case=case, age_band=age_band_on(c.victim["date_of_birth"], today), **c.victim) for case, c in zip(made, cases, strict=True)]
    )
    perpetrators = insert([Perpetrator(case=case, **c.perpetrator) for case, c in zip(made, cases, strict=True) if c.perpetrator])
    insert([HouseholdMember(case=case, name=name, is_child=True) for case, c in zip(made, cases, strict=True) for name in c.children])
    referrals = _referrals(made, cases, area=area, by=by, insert=insert)
    _hearings(made, referrals, cases, area=area, by=by, insert=insert)
    insert(_index_entries(made, victims, perpetrators, cases))
    return references


def _references(area: MaracArea, year: int, count: int) -> list[str]:
    """A block of `count` references, as case_create gives them one at a time: the area's counter
    for the year, locked until the import commits, moved on once."""
    try:
        with transaction.atomic():
            counter, _ = CaseCounter.objects.select_for_update().get_or_create(area=area, year=year)
    except IntegrityError:  # another first case of the year made the row at the same moment
        counter = CaseCounter.objects.select_for_update().get(area=area, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return [f"{area.short_code}-{year}-{number:04d}" for number in range(first, first + count)]


def _referrals(made: list[Case], cases: list[ParsedCase], *, area: MaracArea, by: User, insert) -> list[Referral]:
    """A completed checklist with its score (the level raised by professional judgement where the
    sheet's level is higher) and the referral resting on it: accepted if a meeting heard it,
    otherwise waiting in triage for the coordinator's decision."""
    assessments = insert(
        [
            RiskAssessment(
                case=case,
                checklist_version=CURRENT.version,
                answers={},
                score=c.score,
                override_band=c.override.value if c.override else "",
                override_rationale=OVERRIDE_RATIONALE if c.override else "",
                status=RiskAssessment.Status.COMPLETE,
                assessed_by=by,
                assessed_on=c.referral_date,
            )
            for case, c in zip(made, cases, strict=True)
        ]
    )
    now = timezone.now()
    return insert(
        [
            Referral(
                case=case,
                assessment=assessment,
                criteria=[Criterion.VISIBLE_HIGH_RISK if c.score >= area.high_risk_threshold else Criterion.PROFESSIONAL_JUDGEMENT],
                referring_agency=c.agency,
                referred_by=by,
                consent=Referral.Consent.GIVEN,
                status=Referral.Status.ACCEPTED if c.meetings else Referral.Status.SUBMITTED,
                submitted_on=c.referral_date,
                decided_by=by if c.meetings else None,
                decided_at=now if c.meetings else None,
            )
            for case, assessment, c in zip(made, assessments, cases, strict=True)
        ]
    )


def _hearings(made: list[Case], referrals: list[Referral], cases: list[ParsedCase], *, area: MaracArea, by: User, insert) -> None:
    """Each meeting heard, found or made (a closed meeting on that day), with the case on its
    agenda; the first meeting hears the referral; the actions belong to the last one."""
    agencies_at: dict[date, set[Agency]] = defaultdict(set)
    for c in cases:
        for day in c.meetings:
            agencies_at[day] |= {c.agency, *(agency for agency, _ in c.actions)}
    meetings = _meetings(area, agencies_at, by=by)
    positions = dict(
        AgendaItem.objects.filter(meeting__in=meetings.values())
        .values("meeting")
        .annotate(last=Max("position"))
        .values_list("meeting", "last")
    )
    listings, items, actions = [], [], []
    for case, referral, c in zip(made, referrals, cases, strict=True):
        for n, day in enumerate(c.meetings):
            meeting = meetings[day]
            positions[meeting.pk] = positions.get(meeting.pk, 0) + 1
            first = n == 0
            if first:
                listings.append(ReferralListing(referral=referral, meeting=meeting))
            items.append(
                AgendaItem(
                    meeting=meeting,
                    case=case,
                    referral=referral if first else None,
                    section=AgendaItem.Section.CHILDREN if c.children else AgendaItem.Section.ADULTS,
                    position=positions[meeting.pk],
                    added_because=AgendaItem.AddedBecause.MADE_CUTOFF if first else AgendaItem.AddedBecause.REVIEW,
                    added_by=by,
                )
            )
        if c.actions:
            last = meetings[c.meetings[-1]]
            due = c.meetings[-1] + timedelta(days=ACTION_DUE_DAYS)
            actions += [
                Action(meeting=last, case=case, agency=agency, owner="Not recorded", description=text, due_on=due, created_by=by)
                for agency, text in c.actions
            ]
    insert(listings)
    insert(items)
    insert(actions)


def _meetings(area: MaracArea, agencies_at: dict[date, set[Agency]], *, by: User) -> dict[date, Meeting]:
    """The area's meeting on each day, or a closed one made for it (the services refuse meetings
    in the past). A meeting made here is invited the agencies of the cases and actions imported
    into it. A meeting that already existed keeps its invitations: they say who was there, they
    decide which agencies' representatives see the meeting, and the meetings' services alone
    change them (once it has ended, never). An import must not widen them unrecorded."""
    if not agencies_at:
        return {}
    start = _at(min(agencies_at), time(0))
    end = _at(max(agencies_at) + timedelta(days=1), time(0))
    found: dict[date, Meeting] = {}
    for meeting in Meeting.objects.filter(area=area, starts_at__gte=start, starts_at__lt=end).order_by("starts_at"):
        found.setdefault(timezone.localtime(meeting.starts_at).date(), meeting)
    for day, agencies in sorted(agencies_at.items()):
        if day not in found:
            made = acting(Meeting(area=area, starts_at=_at(day, time(10)), chair=by, coordinator=by, status=Meeting.Status.CLOSED), by)
            made.save()
            made.invited_agencies.add(*agencies)
            found[day] = made
    return {day: found[day] for day in agencies_at}


def _at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def _index_entries(made: list[Case], victims: list[Victim], perpetrators: list[Perpetrator], cases: list[ParsedCase]) -> list:
    """The blind-index entries a case_create and a perpetrator_add would make: victims by name and
    date of birth (repeats, duplicates), perpetrators by theirs (links, ADR 0026)."""
    entries = [
        BlindIndexEntry(index_name=NAME_DOB_INDEX, digest=d, case_uuid=case.uuid, subject_uuid=victim.uuid)
        for case, victim, c in zip(made, victims, cases, strict=True)
        for d in _digests(NAME_DOB_INDEX, c.victim_index)
    ]
    with_perpetrator = [(case, c) for case, c in zip(made, cases, strict=True) if c.perpetrator]
    entries += [
        BlindIndexEntry(index_name=PERPETRATOR_INDEX, digest=d, case_uuid=case.uuid, subject_uuid=perpetrator.uuid)
        for (case, c), perpetrator in zip(with_perpetrator, perpetrators, strict=True)
        for d in _digests(PERPETRATOR_INDEX, c.perpetrator_index)
    ]
    return entries


def _digests(index_name: str, values: Iterable[str]) -> set[bytes]:
    return {blind_index.digest(index_name, value) for value in values}


def _existing_cases(area: MaracArea, values: set[str]) -> dict[str, str]:
    """{normalised name and date of birth: reference} for the area's live cases whose victim has
    it: one indexed lookup per few thousand values, nothing decrypted."""
    by_digest = {blind_index.digest(NAME_DOB_INDEX, value): value for value in values}
    digests = list(by_digest)
    cases_of_digest: dict[bytes, set[uuid.UUID]] = defaultdict(set)
    for start in range(0, len(digests), LOOKUP_BATCH):
        for digest, case_uuid in blind_index.entries_for(index_name=NAME_DOB_INDEX, digests=set(digests[start : start + LOOKUP_BATCH])):
            cases_of_digest[digest].add(case_uuid)
    uuids = list(set().union(*cases_of_digest.values()))
    references: dict[uuid.UUID, str] = {}
    for start in range(0, len(uuids), LOOKUP_BATCH):
        live = Case.objects.filter(area=area, uuid__in=uuids[start : start + LOOKUP_BATCH]).exclude(status=Case.Status.SHREDDED)
        references.update(live.values_list("uuid", "reference"))
    # A victim known in another area is not a duplicate here (she may have moved): only this area's.
    found = {}
    for digest, case_uuids in cases_of_digest.items():
        here = sorted(references[u] for u in case_uuids if u in references)
        if here:
            found[by_digest[digest]] = here[0]
    return found
