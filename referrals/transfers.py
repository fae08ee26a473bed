"""Transfers the receiving area accepts (issue 17, ADR 0019).

The sending coordinator offers a case to another area; nothing moves until that area's
coordinator accepts it. Until then the case, and everyone's access to it, stays where it is, and
the receiving area sees only that an offer exists (reference, areas, reason code, who offered it
and when). Accepting moves the case and ends the sending area's allocations, leaving it for the
receiving team lead to allocate; declining (a reason code) or withdrawing leaves it where it was.
One open offer per case (a unique constraint, so two coordinators racing cannot make two).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

import audit
from marac.history import acting
from marac.models import Agency, MaracArea, Membership, NoticeKind, Role, User
from marac.notices import notify
from marac.viewer import Viewer
from referrals import emergency, signals, teams
from referrals.models import BreakGlassGrant, Case, CaseTransfer, EmergencyAccessRequest
from referrals.services import CaseErased


def open_offer(case: Case) -> CaseTransfer | None:
    return case.transfers.filter(status=CaseTransfer.Status.OFFERED).select_related("to_area", "transferred_by").first()


def offers_to(viewer: Viewer) -> QuerySet[CaseTransfer]:
    """Open offers to the areas the person coordinates, oldest first."""
    areas = sorted(viewer.areas_for(Role.COORDINATOR))
    offered = CaseTransfer.objects.filter(to_area_id__in=areas, status=CaseTransfer.Status.OFFERED)
    return offered.exclude(case__status=Case.Status.SHREDDED).order_by("transferred_at", "pk")


def offers_to_decide(viewer: Viewer) -> QuerySet[CaseTransfer]:
    """Open offers the person may decide: to their areas, and not their own (a coordinator of both
    areas leaves their own offer to another coordinator of the receiving area)."""
    return offers_to(viewer).exclude(transferred_by=viewer.user)


def offers_from(viewer: Viewer) -> QuerySet[CaseTransfer]:
    """Offers made from the areas the person coordinates, newest first: what became of each."""
    areas = sorted(viewer.areas_for(Role.COORDINATOR))
    return CaseTransfer.objects.filter(from_area_id__in=areas).order_by("-transferred_at", "-pk")


def _coordinators_of(area_id: int) -> QuerySet[User]:
    coordinators = Membership.objects.filter(area_id=area_id, role=Role.COORDINATOR, is_active=True).values("user_id")
    return User.objects.filter(pk__in=coordinators)


def _must_coordinate(by: User, area_id: int) -> None:
    """The getters let only the right area's coordinator reach an offer; the services check again."""
    if not _coordinators_of(area_id).filter(pk=by.pk, is_active=True).exists():
        raise ValidationError("Only a coordinator of that area can do this")


@transaction.atomic
def transfer_offer(*, case: Case, to_area: MaracArea, reason: str, by: User) -> CaseTransfer:
    """Offer a case to another area. The case stays in its own area until the offer is accepted."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.is_shredded:
        raise CaseErased
    _must_coordinate(by, case.area_id)
    if to_area.pk == case.area_id:
        raise ValidationError("The case is already in that area")
    if open_offer(case) is not None:
        raise ValidationError("This case is already offered to another area: withdraw that offer first")
    offer = CaseTransfer(
        case=case, from_area_id=case.area_id, to_area=to_area, from_agency_id=case.referring_agency_id, transferred_by=by, reason=reason
    )
    offer.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError:  # another coordinator offered it at the same moment
        raise ValidationError("This case is already offered to another area: withdraw that offer first") from None
    audit.record(event="case_transfer_offered", user=by, case_reference=case.reference, purpose=f"offer to {to_area.short_code}")
    notify(
        kind=NoticeKind.TRANSFER_REQUESTED,
        subject_key=f"transfer:{offer.pk}",
        users=_coordinators_of(to_area.pk),
        url=reverse("transfer-offers"),
        by=by,
        area_id=to_area.pk,
    )
    return offer


def _locked_open(offer: CaseTransfer) -> tuple[CaseTransfer, Case]:
    """The offer and its case, locked, in the order case_create and every case write takes them."""
    case = Case.objects.select_for_update().get(pk=offer.case_id)
    offer = CaseTransfer.objects.select_for_update(of=("self",)).select_related("from_area", "to_area").get(pk=offer.pk)
    if offer.status != CaseTransfer.Status.OFFERED:
        raise ValidationError("This offer has already been accepted, declined or withdrawn")
    if case.area_id != offer.from_area_id or case.is_shredded:
        raise ValidationError("This case is no longer in the area that offered it")
    return offer, case


def _decided(offer: CaseTransfer, status: str, by: User) -> None:
    offer.status, offer.decided_by, offer.decided_at = status, by, timezone.now()
    offer.save(update_fields=["status", "decided_by", "decided_at", "decline_reason", "to_agency"])


def _tell_offerer(offer: CaseTransfer, by: User) -> None:
    notify(
        kind=NoticeKind.TRANSFER_DECIDED,
        subject_key=f"transfer:{offer.pk}",
        users=[offer.transferred_by],
        url=reverse("transfer-offers"),
        by=by,
        area_id=offer.from_area_id,
    )


def holding_agencies(area_id: int) -> QuerySet[Agency]:
    """The agencies that can hold a case in an area: those with an active team lead or referrer
    there, so someone can be allocated to it and told what the coordinator decides."""
    staffed = Membership.objects.filter(
        area_id=area_id, role__in=(Role.TEAM_LEAD, Role.REFERRER), is_active=True, user__is_active=True
    ).values("agency_id")
    return Agency.objects.filter(pk__in=staffed).order_by("name")


def _must_not_have_offered(offer: CaseTransfer, by: User) -> None:
    """A coordinator of both areas does not accept their own offer: a second person agrees."""
    if offer.transferred_by_id == by.pk:
        raise ValidationError("You offered this case: another coordinator of the receiving area decides it")


@transaction.atomic
def transfer_accept(*, offer: CaseTransfer, agency: Agency | None, by: User) -> CaseTransfer:
    """Move the case to the receiving area with its whole history, held there by `agency` (one of
    holding_agencies; None only when there is none, and the coordinator holds it). The sending
    area's coordinator, chair, allocated workers and emergency access lose it now; asks for
    emergency access to it lapse; the receiving agency's team lead allocates it."""
    offer, case = _locked_open(offer)
    _must_coordinate(by, offer.to_area_id)
    _must_not_have_offered(offer, by)
    agency = _holding_agency(offer, agency)
    offer.to_agency = agency
    _decided(offer, CaseTransfer.Status.ACCEPTED, by)
    case.area = offer.to_area
    if agency is not None:
        case.referring_agency = agency
    acting(case, by)
    case.save(update_fields=["area", "referring_agency"])
    moved = f"transferred to {offer.to_area.short_code}"
    teams.allocations_end_all(case=case, by=by, purpose=moved)
    emergency.grants_end(BreakGlassGrant.objects.filter(case=case), why=moved)
    emergency.asks_lapse(EmergencyAccessRequest.objects.filter(case=case), why=moved)
    held = f"held by agency {agency.pk}" if agency else "held by the coordinator"
    audit.record(
        event="case_transferred", user=by, case_reference=case.reference, purpose=f"transfer to {offer.to_area.short_code}; {held}"
    )
    _tell_offerer(offer, by)
    signals.case_changed.send(sender=Case, case_id=case.pk)
    return offer


def _holding_agency(offer: CaseTransfer, agency: Agency | None) -> Agency | None:
    choices = holding_agencies(offer.to_area_id)
    if agency is None and choices.exists():
        raise ValidationError("Choose the agency in your area that holds the case")
    if agency is not None and not choices.filter(pk=agency.pk).exists():
        raise ValidationError("Choose an agency with a team lead or referrer in your area")
    return agency


@transaction.atomic
def transfer_decline(*, offer: CaseTransfer, reason: str, by: User) -> CaseTransfer:
    """Say no, with a reason code: the case stays where it is, with everyone's access unchanged."""
    offer, case = _locked_open(offer)
    _must_coordinate(by, offer.to_area_id)
    _must_not_have_offered(offer, by)
    if reason not in CaseTransfer.DeclineReason.values:
        raise ValidationError("Give the reason for declining")
    offer.decline_reason = reason
    _decided(offer, CaseTransfer.Status.DECLINED, by)
    audit.record(event="case_transfer_declined", user=by, case_reference=case.reference, purpose=f"declined: {reason}")
    _tell_offerer(offer, by)
    return offer


@transaction.atomic
def transfer_withdraw(*, offer: CaseTransfer, by: User) -> CaseTransfer:
    """The sending coordinator takes the offer back before it is decided."""
    offer, case = _locked_open(offer)
    _must_coordinate(by, offer.from_area_id)
    _decided(offer, CaseTransfer.Status.WITHDRAWN, by)
    audit.record(event="case_transfer_withdrawn", user=by, case_reference=case.reference, purpose=f"offer to {offer.to_area.short_code}")
    return offer
