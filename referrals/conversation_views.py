"""The referrer's side of a referral after it is made (issue 16): its page, with the conversation
with the coordinator; a written reply; sending it back; and withdrawing it, which asks for a
reason on a confirmation page instead of happening in one click.

Only the referrer's agency (Rel.REFERRER) uses these; anyone else who may see the case gets a
logged 403, anyone who may not the getter's 404. Every text shown goes through the field policy
and is logged as read."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

import audit
from marac.security.policy import Rel
from referrals import conversation, services
from referrals.access import referral_get_for_user, refuse_unless
from referrals.case_page import Reads, referral_thread
from referrals.decision_forms import ReplyForm, ResubmitForm, WithdrawForm
from referrals.models import Referral
from referrals.presenters import case_summary

UNDECIDED = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO)


def _for_referrer(request: HttpRequest, pk: int, purpose: str):
    referral, case, relationships = referral_get_for_user(request, pk, purpose=purpose)
    allowed = Rel.REFERRER in relationships and not case.is_shredded
    refuse_unless(allowed, request, case, event=f"{purpose.replace(' ', '_')}_denied", purpose=purpose)
    return referral, case, relationships


def _referral_page(request: HttpRequest, referral, case, relationships, *, reply=None, resubmit=None, status: int = 200) -> HttpResponse:
    """The referral as its referrer sees it, with the forms (and what they typed, if refused)."""
    reads = Reads(relationships)
    reads.referral_facts(referral)  # the score, level and criteria the page shows (_referral_facts.html)
    victim = reads.view(case.victim, "")
    waiting = referral.status == Referral.Status.MORE_INFO
    context = {
        "referral": referral,
        "case": case_summary(case),
        "victim": victim,
        "thread": referral_thread(referral, reads),
        "reply_form": (reply or ReplyForm()) if waiting else None,
        "resubmit_form": (resubmit or ResubmitForm()) if waiting else None,
        "may_withdraw": referral.status in UNDECIDED,
    }
    response = render(request, "referrals/referral_detail.html", context, status=status)
    audit.record_case_reads(request=request, reads={case.reference: reads.fields()}, purpose="referral conversation")
    return response


@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral, case, relationships = _for_referrer(request, pk, "referral conversation")
    return _referral_page(request, referral, case, relationships)


@require_POST
def referral_reply(request: HttpRequest, pk: int) -> HttpResponse:
    referral, case, relationships = _for_referrer(request, pk, "referral reply")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            conversation.referral_reply(referral=referral, text=form.cleaned_data["text"], by=request.user)
            messages.success(request, "Your reply has been sent to the coordinator.")
        except ValidationError as error:  # nothing is asked any more: the page says where it stands
            messages.error(request, error.messages[0])
        return redirect("referral-detail", pk=referral.pk)
    return _referral_page(request, referral, case, relationships, reply=form)


@require_POST
def referral_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    referral, case, relationships = _for_referrer(request, pk, "resubmit")
    form = ResubmitForm(request.POST)
    if form.is_valid():
        try:
            services.referral_resubmit(referral=referral, by=request.user, reply=form.cleaned_data["reply"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"Referral for {case.reference} sent back to the coordinator.")
        return redirect("my-referrals")
    return _referral_page(request, referral, case, relationships, resubmit=form)


@require_http_methods(["GET", "POST"])
def referral_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """GET says what withdrawing does; POST needs a reason. A bare POST (the old one-click button,
    or a slip) is refused with the reason asked for, and the referral stays as it was."""
    referral, case, relationships = _for_referrer(request, pk, "withdraw")
    if referral.status not in UNDECIDED:
        messages.error(request, "Only a referral not yet decided can be withdrawn.")
        return redirect("my-referrals")
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_withdraw(referral=referral, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Referral for {case.reference} withdrawn. It is kept on the case, with your reason.")
            return redirect("my-referrals")
    reads = Reads(relationships)
    reads.referral_facts(referral)  # the score, level and criteria the page shows (_referral_facts.html)
    context = {"referral": referral, "case": case_summary(case), "victim": reads.view(case.victim, ""), "form": form}
    response = render(request, "referrals/referral_withdraw.html", context)
    audit.record_case_reads(request=request, reads={case.reference: reads.fields()}, purpose="withdraw")
    return response
