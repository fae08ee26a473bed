"""Recording first contact with the victim (issue 18, ADR 0028): one page per referral, for an
IDVA on the case only (referrals.first_contact). Anyone else who may see the case gets a logged
403; anyone who may not, the getter's 404; a referral that is not this case's, a logged 404."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import audit
from marac.govuk_forms import GovukDateField
from marac.refusals import refuse
from referrals.access import case_get_for_user, refuse_unless
from referrals.first_contact import RECORDED_MEANWHILE, first_contact_record, is_idva_for
from referrals.presenters import case_summary

PURPOSE = "record first contact"


class FirstContactForm(forms.Form):
    on = GovukDateField(
        label="Date of first contact with the victim",
        help_text="The day an IDVA first spoke with her after this referral. For example, 27 3 2026",
        error_messages={"required": "Enter the date of first contact"},
    )
    # The date recorded when the page was opened (ISO, or blank): a save over a date someone else
    # recorded meanwhile is refused (referrals.first_contact). Forging it only skips that check.
    seen = forms.CharField(required=False, widget=forms.HiddenInput, max_length=10)

    def clean_seen(self) -> date | None:
        text = self.cleaned_data["seen"]
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            raise forms.ValidationError("The page was out of date: save again") from None


@require_http_methods(["GET", "POST"])
def first_contact(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, relationships = case_get_for_user(request, reference, purpose=PURPOSE)
    referral = case.referrals.filter(pk=pk).first()
    if referral is None:
        refuse(request, status=404, event="case_access_denied", purpose=f"{PURPOSE} (referral {pk})", case_reference=case.reference)
    allowed = not case.is_shredded and is_idva_for(request.viewer, case, relationships)
    refuse_unless(allowed, request, case, event="first_contact_denied", purpose=PURPOSE)
    seen = referral.first_contact_on.isoformat() if referral.first_contact_on else ""
    form = FirstContactForm(request.POST if request.method == "POST" else None, initial={"on": referral.first_contact_on, "seen": seen})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            first_contact_record(referral=referral, on=data["on"], by=request.user, today=timezone.localdate(), seen=data["seen"])
        except ValidationError as error:
            if error.messages == [RECORDED_MEANWHILE]:  # show the date recorded meanwhile, and save over it next time
                referral.refresh_from_db(fields=["first_contact_on"])
                form.data = form.data.copy()
                form.data["seen"] = referral.first_contact_on.isoformat() if referral.first_contact_on else ""
            form.add_error("on", error)
        else:
            messages.success(request, "First contact recorded. Any earlier date is kept in the referral's history.")
            return redirect("case-detail", reference=case.reference)
    # Nothing of the victim is shown here: the case by its reference, the referral by its dates.
    context = {"case": case_summary(case), "form": form, "referral": referral, "correcting": referral.first_contact_on is not None}
    response = render(request, "referrals/first_contact.html", context)
    # The referral's date, and the date of first contact recorded (shown to correct it): logged as
    # read, as the case page logs them.
    shown = {"referral.submitted_on"} | ({"referral.first_contact_on"} if referral.first_contact_on else set())
    audit.record_case_reads(request=request, reads={case.reference: shown}, purpose=PURPOSE)
    return response
