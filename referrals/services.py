"""Writes to cases: each is atomic, validates before saving, keeps blind indexes in step, and
writes its audit entry."""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from marac.concurrency import StaleRecord
from marac.history import acting
from marac.models import Agency, MaracArea, RepeatDefinition, User
from marac.periods import add_months
from marac.security import blind_index
from marac.security.datakeys import data_key_create, data_key_shred
from referrals import alerts, closing, conversation, notifications, perpetrator_links, rules, selectors, signals, teams
from referrals.checklists import CURRENT, Answer, Band, Checklist
from referrals.models import (
    AgeBand,
    Case,
    CaseCounter,
    HouseholdMember,
    Incident,
    Perpetrator,
    Referral,
    ReferralMessage,
    RiskAssessment,
    Victim,
)
from referrals.selectors import NAME_DOB_INDEX
from referrals.voice import voice_clean


def _next_reference(area: MaracArea, year: int) -> str:
    """Called inside case_create's transaction: the counter row stays locked until it commits."""
    try:
        with transaction.atomic():
            counter, _ = CaseCounter.objects.select_for_update().get_or_create(area=area, year=year)
    except IntegrityError:  # another first case of the year created the row at the same moment
        counter = CaseCounter.objects.select_for_update().get(area=area, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{area.short_code}-{year}-{counter.last_number:04d}"


@transaction.atomic
def case_create(*, area: MaracArea, referring_agency: Agency, victim: dict, by: User) -> Case:
    """A new case with its own data key, its victim record encrypted under it, and the blind
    indexes that let a later referral anywhere find it."""
    case_uuid = uuid.uuid4()
    case = Case(
        uuid=case_uuid,
        reference=_next_reference(area, date.today().year),
        area=area,
        referring_agency=referring_agency,
        data_key=data_key_create(case_uuid=case_uuid),
        created_by=by,
    )
    acting(case, by)  # history names who acted, with or without a request
    case.full_clean()
    case.save()
    teams.allocation_referring_worker(case=case, by=by)  # access follows allocation (ADR 0019)
    record = Victim(case=case, age_band=age_band_on(victim.get("date_of_birth"), timezone.localdate()), **victim)
    acting(record, by)
    record.full_clean(exclude=[f.name for f in Victim.encrypted_fields()])  # encrypted values validate in forms
    record.save()
    victim_reindex(victim=record)
    audit.record(event="case_created", user=by, case_reference=case.reference, fields=victim.keys(), purpose="referral")
    return case


class CaseErased(Exception):
    """The case was shredded; its records can no longer change."""


@transaction.atomic
def victim_update(*, victim: Victim, changes: dict, expected_version: int, by: User, request=None) -> Victim:
    """Apply changes only to the version the person saw: a form opened earlier cannot silently
    undo someone else's change (say, a new safe address)."""
    case = Case.objects.select_for_update().get(pk=victim.case_id)  # serialises with case_shred
    if case.is_shredded:
        raise CaseErased
    current = Victim.objects.select_for_update().select_related("case__data_key").get(pk=victim.pk)
    if current.row_version != expected_version:
        raise StaleRecord
    safe_changed = alerts.safe_fields_changed(current, changes)  # before the changes are applied
    for name, value in changes.items():
        setattr(current, name, value)
    if "date_of_birth" in changes:
        current.age_band = age_band_on(current.date_of_birth, timezone.localdate())
    acting(current, by)
    current.save()
    victim = current
    victim_reindex(victim=victim)
    audit.record(
        event="victim_updated",
        user=by,
        request=request,
        case_reference=victim.case.reference,
        fields=changes.keys(),
        purpose="update record",
    )
    # A new safe address or phone: alerts, notices and a log entry (never the value), ADR 0025.
    alerts.safe_contact_changed(case=victim.case, fields=safe_changed, by=by, request=request)
    signals.case_changed.send(sender=Case, case_id=victim.case_id)
    return victim


def victim_index_values(victim: Victim) -> set[str]:
    """Name and date of birth, every alias and every alternative date, as matchable pairs."""
    names = [victim.name, *victim.aliases]
    born = [victim.date_of_birth, *(date.fromisoformat(d) for d in victim.alternative_dates_of_birth)]
    return {blind_index.name_and_birth_date(n, b) for n in names if n for b in born if b}


def victim_reindex(*, victim: Victim) -> None:
    blind_index.index_replace(
        index_name=NAME_DOB_INDEX, case_uuid=victim.case.uuid, subject_uuid=victim.uuid, values=victim_index_values(victim)
    )


@transaction.atomic
def case_shred(*, case: Case, by: User | None) -> None:
    """Erase a case by destroying its data key (crypto-shredding) and its blind-index entries.

    The case row stays as a non-personal tombstone (reference, area, dates), and the audit trail
    stays whole. Live and history rows of its records remain as ciphertext nobody can read.
    """
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)  # no edit in flight
    # A legal hold in force keeps the case whoever calls (ADR 0027): checked under the case's lock,
    # which placing a hold takes too.
    if case.legal_holds.filter(lifted_at=None).exists():
        raise ValidationError("A legal hold is in force on this case: it cannot be erased until the hold is lifted")
    # Open referrals are withdrawn first (while the key still exists to write their reason), so
    # no queue goes on trying to read a case that can no longer be read.
    for referral in case.referrals.filter(status__in=(Referral.Status.SUBMITTED, Referral.Status.MORE_INFO)):
        referral.status, referral.decision_reason = Referral.Status.WITHDRAWN, "The case was erased"
        referral.save()
    data_key_shred(key=case.data_key)
    blind_index.entries_delete_for_case(case_uuid=case.uuid)
    case.status = Case.Status.SHREDDED
    case.save(update_fields=["status"])
    signals.case_erased.send(sender=Case, case_id=case.pk)
    audit.record(event="case_shredded", user=by, case_reference=case.reference, purpose="retention or erasure")


# --- Risk checklist, referral, incidents ------------------------------------------------------


def _answers_valid(assessment: RiskAssessment, answers: dict) -> dict:
    checklist = assessment.checklist
    known = {q.id for q in checklist.questions}
    cleaned = {}
    for question_id, entry in answers.items():
        if question_id not in known:
            raise ValidationError(f"{question_id} is not a question in {checklist.version}")
        answer = entry.get("answer")
        if answer not in Answer.__members__.values():
            raise ValidationError(f"Choose yes, no or not known for {question_id}")
        cleaned[question_id] = {"answer": str(answer), "note": str(entry.get("note", ""))[:2000]}
    return cleaned


def _locked_draft(assessment: RiskAssessment) -> RiskAssessment:
    """The checklist's current row, locked: two saves or a save and a referral never interleave."""
    # Locks the assessment and its case, never the joined area: every referrer in the area shares that
    # row, and locking it deadlocked concurrent referrals against the audit chain's lock (issue 19).
    return (
        RiskAssessment.objects.select_for_update(of=("self", "case")).select_related("case__data_key", "case__area").get(pk=assessment.pk)
    )


@transaction.atomic
def assessment_start(*, case: Case, by: User, on: date, checklist: Checklist = CURRENT) -> RiskAssessment:
    assessment = RiskAssessment(case=case, checklist_version=checklist.version, assessed_by=by, assessed_on=on)
    assessment.save()
    return assessment


@transaction.atomic
def assessment_answer(*, assessment: RiskAssessment, answers: dict, by: User) -> RiskAssessment:
    """Save answers as they are given (a draft survives closing the browser); the score follows."""
    assessment = _locked_draft(assessment)
    if assessment.status != RiskAssessment.Status.DRAFT:
        raise ValidationError("A completed checklist cannot be changed; start a new one")
    merged = {**assessment.answers, **_answers_valid(assessment, answers)}
    assessment.answers = merged
    assessment.score = assessment.checklist.score({q: e["answer"] for q, e in merged.items()})
    assessment.save()
    audit.record(
        event="assessment_answered", user=by, case_reference=assessment.case.reference, fields=["answers"], purpose="risk checklist"
    )
    return assessment


@transaction.atomic
def assessment_override(*, assessment: RiskAssessment, band: Band, rationale: str, by: User) -> RiskAssessment:
    """Professional judgement raises the level, never lowers it, and always says why; once the
    checklist has been referred, nothing about it changes."""
    assessment = _locked_draft(assessment)
    if assessment.status != RiskAssessment.Status.DRAFT:
        raise ValidationError("This checklist has been referred and can no longer be changed")
    if band.rank <= assessment.level.rank:
        raise ValidationError(f"Professional judgement can only raise the level above {assessment.band.value}")
    if not rationale.strip():
        raise ValidationError("Explain the professional judgement")
    assessment.override_band = band.value
    assessment.override_rationale = rationale.strip()
    assessment.save()
    audit.record(
        event="assessment_overridden",
        user=by,
        case_reference=assessment.case.reference,
        fields=["override_rationale"],
        purpose="risk checklist",
    )
    return assessment


@transaction.atomic
def incident_record(
    *,
    case: Case,
    occurred_on: date,
    kind: str,
    police_callout: bool,
    agency: Agency,
    by: User,
    summary: str = "",
    today: date,
    reported_to_police: bool = False,
) -> tuple[Incident, bool]:
    """Record a further incident; True with it if it makes the case a repeat under the area's
    definition, which should prompt a repeat referral (DESIGN 2.3). A police call-out is a
    report to the police, whatever the form said."""
    if occurred_on > today:
        raise ValidationError("The incident date must be today or in the past")
    incident = Incident(
        case=case,
        occurred_on=occurred_on,
        kind=kind,
        police_callout=police_callout,
        reported_to_police=reported_to_police or police_callout,
        recording_agency=agency,
        recorded_by=by,
        summary=summary,
    )
    incident.full_clean(exclude=[f.name for f in Incident.encrypted_fields()])
    incident.save()
    repeat = rules.is_repeat(
        last_referral=selectors.last_referral_date(case), incident=occurred_on, kind=kind, definition=case.area.repeat_definition
    )
    audit.record(event="incident_recorded", user=by, case_reference=case.reference, fields=["summary"], purpose="flag and tag")
    signals.case_changed.send(sender=Case, case_id=case.pk)
    return incident, repeat


def repeat_by_definition(case: Case, today: date, *, matches_elsewhere: bool = True) -> dict[str, bool]:
    """Whether a referral made today would be a repeat, under each repeat definition: a further
    incident of a kind the definition counts after the case's last referral, with today still
    within 12 months of it; or the victim matching a case referred in the last 12 months in any
    area (DESIGN 2.3), which is a repeat whichever definition an area uses.

    `matches_elsewhere=False` looks at the case's own history only: what the referrer may be
    told. Telling them of a match would let anyone check whether a name and date of birth
    belong to a MARAC victim anywhere (only coordinators and chairs see matches)."""
    last_referral = selectors.last_referral_date(case)
    within = last_referral is not None and today <= add_months(last_referral, rules.REPEAT_WINDOW_MONTHS)
    incidents = [(i.occurred_on, i.kind) for i in selectors.incidents_since(case, last_referral)] if last_referral and within else []
    elsewhere = matches_elsewhere and bool(selectors.recent_matches_elsewhere(case.victim, today))
    return {
        definition: elsewhere or rules.repeat_now(last_referral=last_referral, incidents=incidents, today=today, definition=definition)
        for definition in RepeatDefinition.values
    }


def referral_criteria_for(
    *, assessment: RiskAssessment, judgement: bool, today: date, repeats: dict[str, bool] | None = None
) -> set[rules.Criterion]:
    """The criteria a referral from this checklist meets today, as the referrer may be told them:
    from the case's own history (`repeats`: repeat_by_definition's answer, to use another)."""
    case = assessment.case
    repeats = repeat_by_definition(case, today, matches_elsewhere=False) if repeats is None else repeats
    return rules.referral_criteria(
        score=assessment.score,
        area=case.area,
        judgement=judgement or bool(assessment.override_band),
        escalation_count=selectors.escalation_count_last_12_months(case, today),
        repeat=repeats[case.area.repeat_definition],
    )


@transaction.atomic
def referral_submit(
    *,
    assessment: RiskAssessment,
    by: User,
    agency: Agency,
    consent: str,
    without_consent_reason: str = "",
    judgement: bool = False,
    today: date,
    voice: dict | None = None,
) -> Referral:
    """Refer to MARAC from a checklist: everything comes from it, nothing is typed twice. The
    criteria are worked out here, not chosen, and a referral meeting none is refused. `voice` is
    the victim's voice as the referral form asks it (referrals/voice.py)."""
    assessment = _locked_draft(assessment)
    if assessment.status != RiskAssessment.Status.DRAFT:
        raise ValidationError("This checklist has already been referred")
    # Whether the referral may go decides from what the referrer is told, so refusing it says
    # nothing about other areas' cases; what it records (for the coordinator and NI 32) counts a
    # match elsewhere as a repeat too.
    if not referral_criteria_for(assessment=assessment, judgement=judgement, today=today):
        raise ValidationError("This case meets no MARAC referral criterion. Use professional judgement if you are worried.")
    repeats = repeat_by_definition(assessment.case, today)
    criteria = referral_criteria_for(assessment=assessment, judgement=judgement, today=today, repeats=repeats)
    if consent == Referral.Consent.WITHOUT and not without_consent_reason.strip():
        raise ValidationError("Say why the referral is being made without the victim's consent")
    heard = voice_clean(voice or {})  # refused before anything changes
    assessment.status = RiskAssessment.Status.COMPLETE
    assessment.save()
    return referral_made(
        case=assessment.case,
        basis={"assessment": assessment},
        criteria=criteria,
        repeats=repeats,
        agency=agency,
        by=by,
        consent=consent,
        without_consent_reason=without_consent_reason,
        today=today,
        heard=heard,
    )


def referral_made(
    *,
    case: Case,
    basis: dict,
    criteria: set,
    repeats: dict,
    agency: Agency,
    by: User,
    consent: str,
    without_consent_reason: str,
    today: date,
    heard: dict,
) -> Referral:
    """The referral itself, once its basis (`{"assessment": checklist}` or `{"tool_assessment":
    another tool's}`, ADR 0024) and criteria are settled: inside the caller's transaction, with
    the victim's voice already cleaned (`heard`). A closed case is reopened by it."""
    closing.reopen_for_new_referral(case=case, by=by)
    referral = Referral(
        case=case,
        criteria=sorted(criteria),
        referring_agency=agency,
        referred_by=by,
        consent=consent,
        without_consent_reason=without_consent_reason.strip(),
        status=Referral.Status.SUBMITTED,
        submitted_on=today,
        repeat_current=repeats[RepeatDefinition.CURRENT],
        repeat_ni32=repeats[RepeatDefinition.NI32_2008],
        **basis,
        **heard,
    )
    acting(referral, by)
    referral.full_clean(exclude=[f.name for f in Referral.encrypted_fields()])
    referral.save()
    written = [name for name, value in heard.items() if value]  # the voice's fields given, never their values
    audit.record(event="referral_submitted", user=by, case_reference=case.reference, fields=written, purpose="referral")
    return referral


@transaction.atomic
def referral_decide(*, referral: Referral, status: str, reason: str, by: User) -> Referral:
    """The coordinator's decision: accept, decline or ask for more information. A declined
    referral is kept, with its reason, and reported."""
    Case.objects.select_for_update().get(pk=referral.case_id)  # no transfer or erasure in flight
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.status != Referral.Status.SUBMITTED:
        raise ValidationError("This referral has already been decided")
    if status not in (Referral.Status.ACCEPTED, Referral.Status.DECLINED, Referral.Status.MORE_INFO):
        raise ValidationError("Not a decision")
    if status != Referral.Status.ACCEPTED and not reason.strip():
        raise ValidationError("Give the reason")
    referral.status = status
    referral.decided_by, referral.decided_at, referral.decision_reason = by, timezone.now(), reason.strip()
    # Which meeting hears an accepted referral follows from the meetings' cut-offs (meetings.selectors).
    referral.save()
    if status == Referral.Status.MORE_INFO:  # the question opens (or continues) the conversation
        conversation.message_add(referral=referral, kind=ReferralMessage.Kind.QUESTION, text=reason, by=by)
    audit.record(event=f"referral_{referral.status}", user=by, case_reference=referral.case.reference, purpose="triage")
    notifications.referral_decided(referral, by=by)
    return referral


def age_band_on(born: date | None, today: date) -> str:
    age = _age_on(born, today)
    if age is None:
        return AgeBand.NOT_KNOWN
    return AgeBand.UNDER_16 if age < 16 else AgeBand.AGED_16_17 if age < 18 else AgeBand.ADULT


def _age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@transaction.atomic
def perpetrator_add(*, case: Case, details: dict, by: User, today: date) -> Perpetrator:
    if Case.objects.select_for_update().get(pk=case.pk).is_shredded:  # serialises with case_shred
        raise CaseErased
    age = _age_on(details.get("date_of_birth"), today)
    perpetrator = Perpetrator(case=case, aged_17_or_under=age is not None and age <= 17, **details)
    perpetrator.full_clean(exclude=[f.name for f in Perpetrator.encrypted_fields()])
    perpetrator.save()
    perpetrator_links.perpetrator_reindex(perpetrator=perpetrator)  # links to other cases (ADR 0026)
    audit.record(event="perpetrator_added", user=by, case_reference=case.reference, fields=details.keys(), purpose="update record")
    signals.case_changed.send(sender=Case, case_id=case.pk)
    return perpetrator


@transaction.atomic
def household_member_add(*, case: Case, details: dict, is_child: bool, by: User, today: date) -> HouseholdMember:
    """A date of birth, when given, decides whether they are a child; otherwise the worker says."""
    age = _age_on(details.get("date_of_birth"), today)
    member = HouseholdMember(case=case, is_child=age < 18 if age is not None else is_child, **details)
    member.full_clean(exclude=[f.name for f in HouseholdMember.encrypted_fields()])
    member.save()
    audit.record(event="household_member_added", user=by, case_reference=case.reference, fields=details.keys(), purpose="update record")
    signals.case_changed.send(sender=Case, case_id=case.pk)
    return member


@transaction.atomic
def referral_resubmit(*, referral: Referral, by: User, reply: str = "") -> Referral:
    """The referrer answers a request for more information (by updating the case, and in
    writing if they like) and sends the referral back to the coordinator; the thread says so."""
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.status != Referral.Status.MORE_INFO:
        raise ValidationError("Only a referral waiting for more information can be sent back")
    referral.status = Referral.Status.SUBMITTED
    referral.save()
    conversation.message_add(referral=referral, kind=ReferralMessage.Kind.RESUBMITTED, text=reply, by=by)
    audit.record(event="referral_resubmitted", user=by, case_reference=referral.case.reference, purpose="referral")
    return referral


@transaction.atomic
def referral_withdraw(*, referral: Referral, reason: str, by: User) -> Referral:
    """The referrer withdraws a referral not yet decided (say, it was made in error), always
    saying why: a high-risk referral must not vanish with a slip of the mouse. Kept, with the
    reason encrypted, and the thread records who withdrew it and when."""
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.status not in (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO):
        raise ValidationError("Only a referral not yet decided can be withdrawn")
    if not reason.strip():
        raise ValidationError("Say why you are withdrawing the referral")
    referral.status = Referral.Status.WITHDRAWN
    referral.decided_by, referral.decided_at, referral.decision_reason = by, timezone.now(), reason.strip()
    referral.save()
    conversation.message_add(referral=referral, kind=ReferralMessage.Kind.WITHDRAWN, text=reason, by=by)
    audit.record(event="referral_withdrawn", user=by, case_reference=referral.case.reference, purpose="referral")
    return referral
