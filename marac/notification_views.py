"""The person's notifications, and which of them they also want by email (marac/notices.py).

A person sees and marks only their own notifications: every query here is filtered by the
signed-in user, and another person's notification id is a logged 404 like any other. Nothing here
reads a case: each notification is a fixed sentence and a link, and the page behind the link
makes its own access checks.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from marac import listing
from marac.models import EmailOptOut, NoticeKind, Notification
from marac.notices import NOTICES
from marac.refusals import refuse

PER_PAGE = 25


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=request.user).only("kind", "url", "created_at", "read_at")
    params = listing.only(request.GET, ("page",))
    page = listing.page_of(params, mine, per_page=PER_PAGE)  # junk or out of range: first or last page
    rows = [{"notice": NOTICES[NoticeKind(n.kind)], "notification": n} for n in page]
    unread = Notification.objects.filter(user=request.user, read_at=None).exists()
    context = {"rows": rows, "pagination": listing.pagination(params, page, "notifications"), "page_number": page.number, "unread": unread}
    return render(request, "marac/notifications.html", context)


@require_POST
def notification_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the person's own notification: anyone else's id is a 404, logged, as if none existed."""
    if not Notification.objects.filter(pk=pk, user=request.user).exists():
        refuse(request, status=404, event="notification_access_denied", purpose=f"mark read (notification {pk})")
    Notification.objects.filter(pk=pk, user=request.user, read_at=None).update(read_at=timezone.now())
    return redirect("notifications")


@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = Notification.objects.filter(user=request.user, read_at=None).update(read_at=timezone.now())
    if marked:
        messages.success(request, "All your notifications are marked as read.")
    return redirect("notifications")


class EmailPreferencesForm(forms.Form):
    wanted = forms.MultipleChoiceField(
        label="Email me when",
        help_text="You will still see every notification here when you sign in. The emails never say which case, "
        "person or meeting they are about.",
        choices=NoticeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    turned_off = set(EmailOptOut.objects.filter(user=request.user).values_list("kind", flat=True))
    form = EmailPreferencesForm(request.POST or None, initial={"wanted": [k for k in NoticeKind.values if k not in turned_off]})
    if request.method == "POST" and form.is_valid():
        _save_preferences(request, set(form.cleaned_data["wanted"]))
        messages.success(request, "Your email choices have been saved.")
        return redirect("account")
    return render(request, "marac/email_preferences.html", {"form": form})


def _save_preferences(request: HttpRequest, wanted: set[str]) -> None:
    off = set(NoticeKind.values) - wanted
    EmailOptOut.objects.filter(user=request.user, kind__in=wanted).delete()
    EmailOptOut.objects.bulk_create([EmailOptOut(user=request.user, kind=kind) for kind in sorted(off)], ignore_conflicts=True)
    # Codes only: which emails the person turned off.
    audit.record(event="email_preferences_changed", request=request, purpose="off: " + (",".join(sorted(off)) or "none"))
