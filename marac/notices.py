"""Email that says only that something needs the person's attention (DESIGN 4.6).

Email leaves our control: it is read on phones, forwarded, kept in mailboxes others can open, and
may be seen by the person someone is hiding from. So a notice never carries a name, a case
reference, an address, a meeting or any text typed about a case; its template is given nothing
but the sign-in link, so it cannot. The person signs in with both factors to see what it is.

Sent by workers (meetings/tasks.py), through Django's email backend: SMTP in production, the
console in development.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

import audit
from marac.models import User


@dataclass(frozen=True)
class Notice:
    subject: str
    template: str


NOTICES = {
    "pack_ready": Notice(subject="A MARAC meeting pack is ready for you", template="email/pack_ready.txt"),
}


def send_notice(user: User, kind: str) -> bool:
    """Email one notice; False if the person has no email address. SMTP errors go to the caller
    (the task retries)."""
    if not user.email:
        return False
    notice = NOTICES[kind]
    body = render_to_string(notice.template, {"sign_in_url": settings.MARAC_SITE_URL + reverse("sign-in")})
    send_mail(notice.subject, body, None, [user.email])
    audit.record(event="notice_emailed", user=user, purpose=kind)
    return True
