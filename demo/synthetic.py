"""Synthetic hearings in bulk, encrypted like real records, for the figures' tests and for
benchmarks at national scale (`manage.py seed_scale`). Development and test only: rows are
written with bulk_create, so no history rows and no access events, which real work never skips;
each encrypted row's version and digest still go into the audit chain, in bulk (ADR 0023).
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from marac.models import Agency, MaracArea, Membership, Role, User
from marac.security.datakeys import data_key_new
from marac.security.models import DataKey
from marac.security.row_versions import rows_written
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


def _encrypted(rows: list) -> list:
    for row in rows:
        row.encrypt_for_write()
    return rows


@transaction.atomic
def bulk_hearings(*, meeting: Meeting, hearings: list[Hearing], agency: Agency, by: User, first_number: int = 1) -> list[Case]:
    """One new case, victim, checklist, accepted referral and agenda item per hearing, at `meeting`."""
    area, day = meeting.area, timezone.localtime(meeting.starts_at).date()
    uuids = [uuid.uuid4() for _ in hearings]
    keys = DataKey.objects.bulk_create([data_key_new(case_uuid=u) for u in uuids])
    cases = Case.objects.bulk_create(
        [
            Case(
                uuid=u, reference=f"{area.short_code}-S{first_number + n}", area=area, referring_agency=agency, data_key=key, created_by=by
            )
            for n, (u, key) in enumerate(zip(uuids, keys, strict=True))
        ]
    )
    # Made by `by`, so on their case team from the start through their referrer membership
    # there, as case_create does (ADR 0019); nobody's, when they refer for none.
    today = timezone.localdate()
    membership = Membership.objects.filter(user=by, role=Role.REFERRER, is_active=True, area=area, agency=agency).first()
    if membership is not None:
        CaseAllocation.objects.bulk_create(
            CaseAllocation(case=case, user=by, membership=membership, kind=CaseAllocation.Kind.REFERRING, allocated_by=by, starts_on=today)
            for case in cases
        )
    victims = Victim.objects.bulk_create(
        _encrypted(
            [
                Victim(
                    case=case,
                    name=f"Synthetic person {first_number + n}",
                    gender=h.gender,
                    ethnic_group=h.ethnic_group,
                    lgbt=h.lgbt,
                    disabled=h.disabled,
                    age_band=h.age_band,
                )
                for n, (case, h) in enumerate(zip(cases, hearings, strict=True))
            ]
        )
    )
    assessments = RiskAssessment.objects.bulk_create(
        _encrypted(
            [
                RiskAssessment(
                    case=case,
                    checklist_version=CURRENT.version,
                    answers={},
                    score=14,
                    status=RiskAssessment.Status.COMPLETE,
                    assessed_by=by,
                    assessed_on=day - timedelta(days=14),
                )
                for case in cases
            ]
        )
    )
    referrals = Referral.objects.bulk_create(
        _encrypted(
            [
                Referral(
                    case=case,
                    assessment=assessment,
                    criteria=["visible_high_risk"],
                    referring_agency=agency,
                    referred_by=by,
                    consent=Referral.Consent.GIVEN,
                    status=Referral.Status.ACCEPTED,
                    submitted_on=day - timedelta(days=14),
                    repeat_current=h.repeat_current,
                    repeat_ni32=h.repeat_ni32,
                )
                for case, assessment, h in zip(cases, assessments, hearings, strict=True)
            ]
        )
    )
    ReferralListing.objects.bulk_create(ReferralListing(referral=referral, meeting=meeting) for referral in referrals)
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                case=case,
                referral=referral,
                section=AgendaItem.Section.CHILDREN if h.children else AgendaItem.Section.ADULTS,
                position=n + 1,
                added_because=AgendaItem.AddedBecause.MADE_CUTOFF,
                added_by=by,
            )
            for n, (case, referral, h) in enumerate(zip(cases, referrals, hearings, strict=True))
        ]
    )
    members = HouseholdMember.objects.bulk_create(
        _encrypted(
            [
                HouseholdMember(case=case, name="Synthetic child", is_child=True)
                for case, h in zip(cases, hearings, strict=True)
                for _ in range(h.children)
            ]
        )
    )
    perpetrators = Perpetrator.objects.bulk_create(
        _encrypted(
            [
                Perpetrator(
                    case=case,
                    name="Synthetic perpetrator",
                    relationship_to_victim=Perpetrator.Relationship.EX_PARTNER,
                    aged_17_or_under=h.young_perpetrator,
                )
                for case, h in zip(cases, hearings, strict=True)
            ]
        )
    )
    # Each encrypted row's entry in the audit chain, as every save writes one (ADR 0023): in bulk,
    # a thousand to an append, so no synthetic row is later named as changed outside the service.
    rows_written([*victims, *assessments, *referrals, *members, *perpetrators], by=by, purpose="synthetic data")
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
