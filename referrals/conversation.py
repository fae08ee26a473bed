"""The conversation between the coordinator and the referrer about one referral (issue 16).

"More information" used to be a line in the decision reason that the next decision overwrote.
Now each turn is a ReferralMessage, added and never changed: the coordinator's question (from the
decision), the referrer's written reply, the resubmission and a withdrawal, each with who and
when. The text is encrypted under the case's key and read through the field policy.

The services that change a referral's status (referrals.services) add their turn with
`message_add` inside their own transaction, so the thread and the status never disagree.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from marac.models import User
from referrals.models import Referral, ReferralMessage

TEXT_LIMIT = 2000


def message_add(*, referral: Referral, kind: str, text: str, by: User) -> ReferralMessage:
    """One turn of the thread; called inside the caller's transaction, which writes the audit entry."""
    message = ReferralMessage(case=referral.case, referral=referral, author=by, kind=kind, text=text.strip()[:TEXT_LIMIT])
    message.full_clean(exclude=[f.name for f in ReferralMessage.encrypted_fields()])
    message.save()
    return message


@transaction.atomic
def referral_reply(*, referral: Referral, text: str, by: User) -> ReferralMessage:
    """The referrer answers the coordinator's question in writing without sending the referral
    back yet (they may still be finding out the rest)."""
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.status != Referral.Status.MORE_INFO:
        raise ValidationError("You can only reply while the coordinator is waiting for more information")
    if not text.strip():
        raise ValidationError("Write your reply")
    message = message_add(referral=referral, kind=ReferralMessage.Kind.REPLY, text=text, by=by)
    audit.record(event="referral_replied", user=by, case_reference=referral.case.reference, fields=["text"], purpose="referral")
    return message
