"""The schedule ends emergency access once it expires, and lapses asks nobody decided within a
day; each ending is an access event."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Role
from marac.viewer import Viewer
from referrals import emergency
from referrals.access import cases_for
from referrals.models import BreakGlassGrant, EmergencyAccessRequest
from referrals.tasks import end_expired_break_glass_grants, lapse_stale_emergency_requests
from tests.conftest import make_person


@pytest.fixture
def colleague(area, police):
    return make_person("colleague", Role.REFERRER, police, area)


def open_now(user, case, reason="emergency"):
    return emergency.emergency_access_ask(viewer=Viewer.of(user), reference=case.reference, reason=reason)


def test_an_expired_grant_is_ended_once_and_logged_and_a_running_one_is_left(colleague, case_a, case_b, settings):
    open_now(colleague, case_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES - 10)):
        open_now(colleague, case_b, "covering")
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES + 1)):
        assert end_expired_break_glass_grants.apply().get() == 1
        assert end_expired_break_glass_grants.apply().get() == 0  # run late or twice: ended once
        assert list(cases_for(Viewer.of(colleague)).values_list("reference", flat=True)) == [case_b.reference]
    ended = BreakGlassGrant.objects.get(case=case_a)
    assert ended.ended_at is not None and BreakGlassGrant.objects.get(case=case_b).ended_at is None
    event = AccessEvent.objects.get(event="break_glass_ended")
    assert event.user == colleague and event.case_reference == case_a.reference and "emergency" in event.purpose


def test_an_ended_grant_gives_no_access_even_before_its_expiry(colleague, case_a):
    open_now(colleague, case_a)
    assert cases_for(Viewer.of(colleague)).filter(pk=case_a.pk).exists()
    BreakGlassGrant.objects.filter(case=case_a).update(ended_at=timezone.now())
    assert not cases_for(Viewer.of(colleague)).filter(pk=case_a.pk).exists()


def test_an_approved_grant_from_another_area_expires_too(unrelated, coordinator, case_a, settings):
    ask = open_now(unrelated, case_a).ask
    emergency.emergency_request_decide(ask=ask, approve=True, viewer=Viewer.of(coordinator))
    assert cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.MARAC_BREAK_GLASS_MINUTES + 1)):
        assert not cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
        assert end_expired_break_glass_grants.apply().get() == 1


def test_an_ask_nobody_decided_within_a_day_lapses_once_and_can_no_longer_be_approved(unrelated, coordinator, case_a, case_b):
    stale = open_now(unrelated, case_a).ask
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        fresh = open_now(unrelated, case_b).ask
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert emergency.shown_status(stale) == "lapsed"  # shown lapsed before the schedule runs
        with pytest.raises(Exception, match="lapsed"):
            emergency.emergency_request_decide(ask=stale, approve=True, viewer=Viewer.of(coordinator))
        assert lapse_stale_emergency_requests.apply().get() == 1
        assert lapse_stale_emergency_requests.apply().get() == 0
        assert list(emergency.pending_for_approver({case_a.area_id})) == [fresh]
    assert EmergencyAccessRequest.objects.get(pk=stale.pk).status == "lapsed"
    assert EmergencyAccessRequest.objects.get(pk=fresh.pk).status == "pending"
    assert not BreakGlassGrant.objects.exists()
    assert AccessEvent.objects.get(event="break_glass_lapsed").case_reference == case_a.reference


def test_an_approved_grant_ends_with_the_membership_shown_to_the_approver(unrelated, coordinator, police, case_a):
    from marac.models import MaracArea, Membership

    Membership.objects.create(
        user=unrelated, agency=police, area=MaracArea.objects.create(name="Melton", short_code="MEL"), role=Role.CHAIR
    )
    asked = open_now(unrelated, case_a).ask
    emergency.emergency_request_decide(ask=asked, approve=True, viewer=Viewer.of(coordinator))
    grant = BreakGlassGrant.objects.get()
    assert grant.membership == asked.requester_membership and asked.requester_area == asked.requester_membership.area
    assert cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
    Membership.objects.filter(pk=grant.membership_id).update(is_active=False)
    assert Viewer.of(unrelated).memberships  # still an operational role elsewhere: not enough
    assert not cases_for(Viewer.of(unrelated)).filter(pk=case_a.pk).exists()
