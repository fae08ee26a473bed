"""Synthetic hearings in bulk, encrypted like real records, for the figures' tests and for
benchmarks at national scale (`manage.py seed_scale`). Development and test only: rows are
written through the one bulk path (marac.bulk, ADR 0031: COPY on PostgreSQL), so no history rows
and no access events, which real work never skips; each encrypted row's version and digest still
go into the audit chain (ADR 0023).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from marac.bulk import chain_entries_at_end, rows_insert
from marac.models import Agency, MaracArea, Membership, Role, User
from marac.security.crypto import random_uuids
from marac.security.datakeys import data_keys_new
from meetings.models import AgendaItem, Meeting, ReferralListing
from referrals.checklists import CURRENT
from referrals.models import (
    AgeBand,
    Case,
    CaseAllocation,
    EthnicGroup,
    Gender,
    HouseholdMember,
    Perpetrator,
    Referral,
    RiskAssessment,
    Victim,
    YesNoNotKnown,
)


@dataclass(frozen=True)
class Hearing:
    """What one synthetic hearing is, in the terms the data return counts."""

    repeat_current: bool = False
    repeat_ni32: bool = False
    gender: str = Gender.FEMALE
    ethnic_group: str = EthnicGroup.WHITE
    lgbt: str = YesNoNotKnown.NO
    disabled: str = YesNoNotKnown.NO
    age_band: str = AgeBand.ADULT
    children: int = 0
    young_perpetrator: bool = False


@dataclass(frozen=True)
class Heard:
    """One synthetic hearing, where and by whose referral."""

    meeting: Meeting
    agency: Agency
    hearing: Hearing


@transaction.atomic
def bulk_hearings(*, meeting: Meeting, hearings: list[Hearing], agency: Agency, by: User, first_number: int = 1) -> list[Case]:
    """One new case, victim, checklist, accepted referral and agenda item per hearing, at `meeting`."""
    return hearings_insert(heard=[Heard(meeting, agency, h) for h in hearings], by=by, first_number=first_number)


@transaction.atomic
def hearings_insert(*, heard: list[Heard], by: User, first_number: int = 1) -> list[Case]:
    """bulk_hearings for hearings at many meetings, written through the one bulk path
    (marac.bulk.rows_insert: COPY on PostgreSQL). One transaction: every case whole, or none."""

    def insert(rows: list) -> list:
        return rows_insert(rows, by=by, purpose="synthetic data")

    with chain_entries_at_end():  # the chain's lock at the end only: loads in parallel overlap
        return _hearings_written(heard=heard, by=by, first_number=first_number, insert=insert)


def _hearings_written(*, heard: list[Heard], by: User, first_number: int, insert: Callable[[list], list]) -> list[Case]:
    today = timezone.localdate()
    uuids = random_uuids(len(heard))  # here and below, given rather than each row's uuid4: one read for all
    keys = insert(data_keys_new(case_uuids=uuids))
    cases = insert(
        [
            Case(
                uuid=u,
                reference=f"{h.meeting.area.short_code}-S{first_number + n}",
                area=h.meeting.area,
                referring_agency=h.agency,
                data_key=key,
                created_by=by,
            )
            for n, (u, key, h) in enumerate(zip(uuids, keys, heard, strict=True))
        ]
    )
    # Made by `by`, so on their case team from the start through their referrer membership
    # there, as case_create does (ADR 0019); nobody's, when they refer for none.
    memberships = {
        (m.area_id, m.agency_id): m for m in Membership.objects.filter(user=by, role=Role.REFERRER, is_active=True).order_by("pk")
    }
    insert(
        [
            CaseAllocation(case=case, user=by, membership=membership, kind=CaseAllocation.Kind.REFERRING, allocated_by=by, starts_on=today)
            for case, h in zip(cases, heard, strict=True)
            if (membership := memberships.get((h.meeting.area_id, h.agency.pk))) is not None
        ]
    )
    insert(
        [
            Victim(
                uuid=u,
                case=case,
                name=f"Synthetic person {first_number + n}",
                gender=h.hearing.gender,
                ethnic_group=h.hearing.ethnic_group,
                lgbt=h.hearing.lgbt,
                disabled=h.hearing.disabled,
                age_band=h.hearing.age_band,
            )
            for n, (u, case, h) in enumerate(zip(random_uuids(len(cases)), cases, heard, strict=True))
        ]
    )
    days = [timezone.localtime(h.meeting.starts_at).date() - timedelta(days=14) for h in heard]
    assessments = insert(
        [
            RiskAssessment(
                uuid=u,
                case=case,
                checklist_version=CURRENT.version,
                answers={},
                score=14,
                status=RiskAssessment.Status.COMPLETE,
                assessed_by=by,
                assessed_on=day,
            )
            for u, case, day in zip(random_uuids(len(cases)), cases, days, strict=True)
        ]
    )
    referrals = insert(
        [
            Referral(
                uuid=u,
                case=case,
                assessment=assessment,
                criteria=["visible_high_risk"],
                referring_agency=h.agency,
                referred_by=by,
                consent=Referral.Consent.GIVEN,
                status=Referral.Status.ACCEPTED,
                submitted_on=day,
                repeat_current=h.hearing.repeat_current,
                repeat_ni32=h.hearing.repeat_ni32,
            )
            for u, case, assessment, h, day in zip(random_uuids(len(cases)), cases, assessments, heard, days, strict=True)
        ]
    )
    insert([ReferralListing(referral=referral, meeting=h.meeting) for referral, h in zip(referrals, heard, strict=True)])
    insert(
        [
            AgendaItem(
                meeting=h.meeting,
                case=case,
                referral=referral,
                section=AgendaItem.Section.CHILDREN if h.hearing.children else AgendaItem.Section.ADULTS,
                position=n + 1,
                added_because=AgendaItem.AddedBecause.MADE_CUTOFF,
                added_by=by,
            )
            for n, (case, referral, h) in enumerate(zip(cases, referrals, heard, strict=True))
        ]
    )
    children = [case for case, h in zip(cases, heard, strict=True) for _ in range(h.hearing.children)]
    insert(
        [
            HouseholdMember(uuid=u, case=case, name="Synthetic child", is_child=True)
            for u, case in zip(random_uuids(len(children)), children, strict=True)
        ]
    )
    insert(
        [
            Perpetrator(
                uuid=u,
                case=case,
                name="Synthetic perpetrator",
                relationship_to_victim=Perpetrator.Relationship.EX_PARTNER,
                aged_17_or_under=h.hearing.young_perpetrator,
            )
            for u, case, h in zip(random_uuids(len(cases)), cases, heard, strict=True)
        ]
    )
    return cases


def held_meeting(
    *, area: MaracArea, on: date, chair: User, coordinator: User, agencies: list[Agency], status: str = Meeting.Status.CLOSED
) -> Meeting:
    """A meeting already held on `on`, as bulk data: the services refuse meetings in the past."""
    meeting = Meeting.objects.create(
        area=area,
        starts_at=timezone.make_aware(datetime.combine(on, time(10))),
        venue="Synthetic",
        chair=chair,
        coordinator=coordinator,
        status=status,
    )
    meeting.invited_agencies.set(agencies)
    return meeting


@transaction.atomic
def held_meetings_insert(*, held: list[tuple[MaracArea, date]], chair: User, coordinator: User, agencies: list[Agency]) -> list[Meeting]:
    """held_meeting for many meetings at once, through the bulk path: each under a data key of
    its own, with its venue encrypted, and no history rows."""
    uuids = random_uuids(len(held))
    keys = rows_insert(data_keys_new(case_uuids=uuids), by=chair, purpose="synthetic data")
    meetings = rows_insert(
        [
            Meeting(
                uuid=u,
                data_key=key,
                area=area,
                starts_at=timezone.make_aware(datetime.combine(on, time(10))),
                venue="Synthetic",
                chair=chair,
                coordinator=coordinator,
                status=Meeting.Status.CLOSED,
            )
            for u, key, (area, on) in zip(uuids, keys, held, strict=True)
        ],
        by=chair,
        purpose="synthetic data",
    )
    invited = Meeting.invited_agencies.through
    rows_insert(
        [invited(meeting=meeting, agency=agency) for meeting in meetings for agency in agencies], by=chair, purpose="synthetic data"
    )
    return meetings


def random_hearing(rng: random.Random) -> Hearing:
    """Proportions near the national figures (DESIGN 5): about a third repeats, most with children."""
    repeat = rng.random() < 0.32
    return Hearing(
        repeat_current=repeat,
        repeat_ni32=repeat and rng.random() < 0.8,
        gender=Gender.MALE if rng.random() < 0.05 else Gender.FEMALE,
        ethnic_group=rng.choice([EthnicGroup.WHITE] * 8 + [EthnicGroup.ASIAN, EthnicGroup.NOT_KNOWN]),
        lgbt=YesNoNotKnown.YES if rng.random() < 0.02 else YesNoNotKnown.NO,
        disabled=YesNoNotKnown.YES if rng.random() < 0.1 else YesNoNotKnown.NO,
        age_band=AgeBand.AGED_16_17 if rng.random() < 0.02 else AgeBand.ADULT,
        children=rng.choice([0, 0, 1, 1, 2, 3]),
        young_perpetrator=rng.random() < 0.01,
    )
