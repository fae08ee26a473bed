"""Changing the victim's voice on a referral while it is with its referrer (referrals/voice.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

import audit
from marac.security.policy import writable_fields
from referrals import voice
from referrals.access import referral_get_for_user, refuse_unless
from referrals.models import Referral
from referrals.presenters import case_summary


@require_http_methods(["GET", "POST"])
def referral_voice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referral, case, relationships = referral_get_for_user(request, pk, purpose="victim's voice")
    writable = set(writable_fields("referrals.referral", relationships))
    allowed = set(voice.FIELDS) <= writable and referral.status in voice.EDITABLE_WHILE and not case.is_shredded
    refuse_unless(allowed, request, case, event="victim_voice_denied", purpose="victim's voice")
    initial = {**voice.voice_initial(referral), "opened": voice.voice_opened(referral)}
    form = voice.VoiceEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            voice.referral_voice_update(
                referral=referral, voice=form.voice(), by=request.user, opened=form.cleaned_data["opened"], request=request
            )
        except voice.VoiceChangedMeanwhile as error:
            # Keep what was typed; carry what is saved now, so saving again is a deliberate choice.
            data = request.POST.copy()
            data["opened"] = voice.voice_opened(Referral.objects.select_related("case__data_key").get(pk=referral.pk))
            form = voice.VoiceEditForm(data, initial=initial)
            form.is_valid()
            form.add_error(None, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The victim's voice has been saved.")
            return redirect("case-detail", reference=case.reference)
    context = {"case": case_summary(case), "form": form, "title": "The victim's voice"}
    response = render(request, "referrals/person_form.html", context)
    # The form was filled with what is stored: every field of it was read.
    read = {f"{voice.LOG_PREFIX}{name}" for name in voice.FIELDS}
    audit.record_case_reads(request=request, reads={case.reference: read}, purpose="victim's voice")
    return response
