"""Writes the partner API makes, through referrals' and meetings' own services (ADR 0030).

A referral from a partner system is made exactly as the web makes one: the case with its data key
and its victim encrypted (case_create, which puts the client's service account on the case team),
the checklist answered and validated by assessment_answer, professional judgement by
assessment_override, and the referral by referral_submit, so it meets the same criteria and
reaches the coordinator's triage like any other. Each submission is tied to its Idempotency-Key.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from api.models import IdempotencyKey, PartnerClient, PartnerReferral
from marac.keyed import digest_among, keyed_digest, keyed_digests
from marac.models import MaracArea, Role
from marac.viewer import Viewer
from meetings import services as meetings_services
from meetings.models import Action, ActionUpdate
from referrals import services as referral_services
from referrals.checklists import Band

IDEMPOTENCY_HOURS = 24
KEY_SALT, BODY_SALT = "api.idempotency.key", "api.idempotency.body"  # salts of the keyed digests


class KeyReused(Exception):
    """The Idempotency-Key was used before with a different body."""


class KeyInFlight(Exception):
    """Another request with the same Idempotency-Key committed meanwhile: look it up again."""


def body_digests(data: object) -> list[str]:
    """Keyed digests of the body as parsed (key order and spacing do not matter): they tell a
    retry from a different body without keeping the values, and, being keyed, cannot be used to
    check a guess of what a referral said. The first, under the current secret key, is the one
    kept; the others, under the keys a rotation still accepts, match a body kept before it."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return keyed_digests(BODY_SALT, canonical)


def key_digest(key: str) -> str:
    """What is stored of an Idempotency-Key: a keyed digest. The key is the partner system's to
    choose, and nothing stops one from using its own case number: that stays in the partner's
    system, never in a column here (tests/security/test_no_plain_text_case_columns.py)."""
    return keyed_digest(KEY_SALT, key)


def response_digest(body: dict) -> str:
    """A digest of the first response, which holds no victim data (references and codes only)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _live_since():
    return timezone.now() - timedelta(hours=IDEMPOTENCY_HOURS)


@dataclass(frozen=True)
class Replay:
    partner_referral: PartnerReferral
    response_digest: str


def idempotency_replay(*, client: PartnerClient, key: str, digests: list[str]) -> Replay | None:
    """The first submission under this key (None if the key is new or expired); KeyReused if it
    came with a different body. Found under the current secret key or one a rotation still
    accepts, so a retry across a rotation is still a retry."""
    found = (
        IdempotencyKey.objects.filter(client=client, key__in=keyed_digests(KEY_SALT, key), created_at__gt=_live_since())
        .select_related("partner_referral__referral__case__area", "partner_referral__referral__assessment")
        .first()
    )
    if found is None or found.partner_referral is None:
        return None
    if not digest_among(found.request_digest, digests):
        raise KeyReused
    return Replay(found.partner_referral, found.response_digest)


def submission_body(partner_referral: PartnerReferral) -> dict:
    """The answer to a submission, the same for every retry: what the referral was when made."""
    referral = partner_referral.referral
    level = referral.assessment.level if referral.assessment is not None else None
    return {
        "id": str(partner_referral.uuid),
        "case_reference": referral.case.reference,
        "area": referral.case.area.short_code,
        "status": "submitted",
        "submitted_on": referral.submitted_on.isoformat() if referral.submitted_on else None,
        "criteria": list(referral.criteria),
        "risk_level": level.value if level else None,
        "url": reverse("api:api-referral", kwargs={"public_id": partner_referral.uuid}),
    }


def _claim_key(*, client: PartnerClient, key: str, digest: str) -> IdempotencyKey:
    """The key's row, taken first in the submission's transaction: a concurrent request with the
    same key waits on it (PostgreSQL) or on the write lock (SQLite), then finds it committed."""
    IdempotencyKey.objects.filter(client=client, key=key_digest(key), created_at__lte=_live_since()).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(client=client, key=key_digest(key), request_digest=digest)
    except IntegrityError:
        raise KeyInFlight from None


def _area_for(viewer: Viewer, client: PartnerClient, code: str) -> MaracArea:
    """One of the client's areas where its account refers for its agency; anything else, an
    area that does not exist included, is refused with the same sentence."""
    scoped = {area_id for area_id, agency_id in viewer.pairs_for(Role.REFERRER) if agency_id == client.agency_id}
    area = client.areas.filter(short_code=code, pk__in=scoped).first()
    if area is None:
        raise ValidationError({"area": ["Not one of this client's areas"]})
    return area


@transaction.atomic
def partner_referral_submit(*, client: PartnerClient, viewer: Viewer, data: dict, key: str, digest: str) -> tuple[PartnerReferral, dict]:
    """Make the referral a partner system sent (`data`: ReferralIn's validated data), under its
    Idempotency-Key. All or nothing: a referral refused by the rules (no criterion met) leaves no
    case, no checklist and no key behind, so the corrected body can be sent with the same key."""
    claimed = _claim_key(client=client, key=key, digest=digest)
    by = client.service_user
    area = _area_for(viewer, client, data["area"])
    victim = {name: data["victim"][name] for name in ("name", "date_of_birth", "address")}
    case = referral_services.case_create(area=area, referring_agency=client.agency, victim=victim, by=by)
    today = timezone.localdate()
    assessment = referral_services.assessment_start(case=case, by=by, on=today)
    answers = {question: {"answer": a["answer"], "note": a["note"]} for question, a in data["checklist"]["answers"].items()}
    assessment = referral_services.assessment_answer(assessment=assessment, answers=answers, by=by)
    if judgement := data.get("professional_judgement"):
        assessment = referral_services.assessment_override(
            assessment=assessment, band=Band(judgement["level"]), rationale=judgement["rationale"], by=by
        )
    referral = referral_services.referral_submit(
        assessment=assessment,
        by=by,
        agency=client.agency,
        consent=data["consent"],
        without_consent_reason=data.get("without_consent_reason", ""),
        today=today,
        voice=data.get("voice") or {},
    )
    partner_referral = PartnerReferral.objects.create(client=client, referral=referral)
    body = submission_body(partner_referral)
    claimed.partner_referral, claimed.response_digest = partner_referral, response_digest(body)
    claimed.save(update_fields=["partner_referral", "response_digest"])
    return partner_referral, body


def partner_action_update(*, action: Action, status: str | None, note: str, client: PartnerClient) -> ActionUpdate:
    """A progress note from the owning agency's system, through meetings' own service (which
    locks the action and records the update in its history and the audit log)."""
    return meetings_services.action_update(action=action, status=status or action.status, note=note, by=client.service_user)


def idempotency_keys_expire() -> int:
    """Delete keys older than IDEMPOTENCY_HOURS (their referrals stay). Returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=_live_since()).delete()
    return deleted
