"""The victim's voice and a safe-contact change for the demo (issue 18, items 3 and 4): Kerry
Doyle's latest referral carries what she told her worker (she knows of the referral, whom she
fears, who is and is not safe to talk to, what she wants the meeting to know); Sarah Mitchell
moved to a new safe address, so her case shows an alert to everyone on it until they acknowledge
it. Every name, address and number is invented."""

from marac.models import User
from referrals import services
from referrals.models import Case, Referral, Victim

VOICE_FOR = "Kerry Doyle"
VOICE = {
    "victim_aware": "yes",
    "feared_people": "Her ex-partner Dean, and his brother Lee, who has driven past her work twice.",
    "safe_to_talk_to": "Her sister Michelle (she knows everything) and her GP at Whitwick Health Centre.",
    "not_safe_to_talk_to": "Dean's mother, Pat Doyle, who lives on the same street and passes everything on to him.",
    "victim_views": "She wants the bail conditions enforced and to keep her son at Castle Rock School.",
}
MOVED = "Sarah Mitchell"
NEW_SAFE_ADDRESS = "Flat 6, 22 Forest Road, Loughborough LE11 3NP"


def seed_voice(cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them, with their referrals."""
    referral = Referral.objects.select_related("case__data_key").filter(case=cases[VOICE_FOR]).latest("submitted_on", "pk")
    if not referral.feared_people:  # safe to run again
        # Written directly: the referral is already accepted, and the demo's history is invented.
        for name, value in VOICE.items():
            setattr(referral, name, value)
        referral.save()
    victim = Victim.objects.select_related("case__data_key").get(case=cases[MOVED])
    if victim.safe_address != NEW_SAFE_ADDRESS:
        # Through the service, as a worker would: the alert, notifications and log entry follow.
        services.victim_update(
            victim=victim,
            changes={"safe_address": NEW_SAFE_ADDRESS},
            expected_version=victim.row_version,
            by=User.objects.get(username="referrer"),
        )
