"""Transfers between areas (ADR 0019): the sending coordinator offers a case, the receiving
area's coordinator accepts or declines it, and the sender may withdraw it until then. The
receiving side sees the reference, the areas, the reason code, who offered it and when: no
victim data until the case is theirs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac.models import Role
from marac.refusals import refuse
from marac.security.policy import Rel
from referrals import transfers
from referrals.access import case_get_for_user, offer_get_for_receiver, offer_get_for_sender, refuse_unless
from referrals.forms import TransferForm
from referrals.presenters import case_summary
from referrals.team_forms import OfferDecisionForm

OFFER_RELATED = ("case", "from_area", "to_area", "transferred_by", "decided_by")


@require_http_methods(["GET", "POST"])
def case_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    """Offer the case to another area: it stays here, with everyone's access, until accepted."""
    case, relationships = case_get_for_user(request, reference, purpose="transfer")
    allowed = not case.is_shredded and Rel.COORDINATOR in relationships
    refuse_unless(allowed, request, case, event="transfer_denied", purpose="transfer")
    offer = transfers.open_offer(case)
    form = TransferForm(request.POST or None, current_area=case.area)
    if request.method == "POST" and offer is None and form.is_valid():
        to_area = form.cleaned_data["to_area"]
        try:
            transfers.transfer_offer(case=case, to_area=to_area, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{case.reference} is offered to {to_area.name}. It stays here until their coordinator accepts it.")
            return redirect("case-detail", reference=case.reference)
    context = {"case": case_summary(case), "form": form, "offer": offer}
    return render(request, "referrals/transfer_offer.html", context)


@require_GET
def transfer_offers(request: HttpRequest) -> HttpResponse:
    """Offers to the person's areas, waiting for them, and what became of their areas' offers."""
    if not request.viewer.has_role(Role.COORDINATOR):
        refuse(request, status=403, event="transfer_offers_denied", purpose="transfer offers")
    context = {
        "offered_to_you": list(transfers.offers_to_decide(request.viewer).select_related(*OFFER_RELATED)[:200]),
        "offered_by_you": list(transfers.offers_from(request.viewer).select_related(*OFFER_RELATED)[:50]),
    }
    audit.record(event="transfer_offers_listed", request=request, purpose="transfer offers")
    return render(request, "referrals/transfer_offers.html", context)


@require_http_methods(["GET", "POST"])
def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    offer = offer_get_for_receiver(request, pk)
    form = OfferDecisionForm(request.POST or None, offer=offer)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == OfferDecisionForm.ACCEPT:
                transfers.transfer_accept(offer=offer, agency=form.cleaned_data.get("agency"), by=request.user)
                messages.success(request, f"{offer.case.reference} is now a case in {offer.to_area.name}. {_who_allocates(offer)}")
                return redirect("case-detail", reference=offer.case.reference)
            transfers.transfer_decline(offer=offer, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"You declined {offer.case.reference}. It stays in {offer.from_area.name}.")
            return redirect("transfer-offers")
    # Seeing an offer is seeing that a case may move to the area: logged like any access.
    audit.record(event="transfer_offer_viewed", request=request, case_reference=offer.case.reference, purpose=f"transfer {offer.pk}")
    return render(request, "referrals/transfer_decide.html", {"offer": offer, "form": form})


def _who_allocates(offer) -> str:
    if offer.to_agency_id is None:
        return "No agency has a team lead or referrer in your area: you hold it as its coordinator."
    return f"{offer.to_agency.name}'s team lead allocates it."


@require_POST
def transfer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    offer = offer_get_for_sender(request, pk)
    try:
        transfers.transfer_withdraw(offer=offer, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"The offer of {offer.case.reference} to {offer.to_area.name} is withdrawn.")
    return redirect("transfer-offers")
