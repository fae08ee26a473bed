"""The schedule ends emergency access once it expires, and the ending is an access event."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from audit.models import AccessEvent
from marac.viewer import Viewer
from referrals import services
from referrals.access import cases_for
from referrals.models import BreakGlassGrant
from referrals.tasks import end_expired_break_glass_grants


def test_an_expired_grant_is_ended_once_and_logged_and_a_running_one_is_left(unrelated, case_a, case_b, settings):
    services.break_glass(viewer=Viewer.of(unrelated), reference=case_a.reference, reason="emergency")
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES - 10)):
        services.break_glass(viewer=Viewer.of(unrelated), reference=case_b.reference, reason="covering")
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES + 1)):
        assert end_expired_break_glass_grants.apply().get() == 1
        assert end_expired_break_glass_grants.apply().get() == 0  # run late or twice: ended once
        assert list(cases_for(Viewer.of(unrelated)).values_list("reference", flat=True)) == [case_b.reference]
    ended = BreakGlassGrant.objects.get(case=case_a)
    assert ended.ended_at is not None and BreakGlassGrant.objects.get(case=case_b).ended_at is None
    event = AccessEvent.objects.get(event="break_glass_ended")
    assert event.user == unrelated and event.case_reference == case_a.reference and "emergency" in event.purpose


def test_an_ended_grant_gives_no_access_even_before_its_expiry(unrelated, case_a):
    services.break_glass(viewer=Viewer.of(unrelated), reference=case_a.reference, reason="emergency")
    assert cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
    BreakGlassGrant.objects.filter(case=case_a).update(ended_at=timezone.now())
    assert not cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
