import time

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from demo.management.commands._demo import current_code
from marac.models import Agency, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp


def test_seed_creates_both_areas_the_agencies_and_one_person_per_role(db, capsys):
    call_command("seed_demo", "--without-packs")
    assert set(MaracArea.objects.values_list("short_code", flat=True)) == {"NWL", "CHA"}
    assert Agency.objects.filter(name="Loughborough Women's Aid").exists()
    assert {m.role for m in Membership.objects.all()} == set(Role.values)
    out = capsys.readouterr().out
    assert "coordinator" in out and "make demo-code ACCOUNT=coordinator" in out
    assert AuthenticatorApp.objects.get(user__username="coordinator").confirmed
    assert not AuthenticatorApp.objects.filter(user__username="new_idva").exists()
    assert User.objects.get(username="coordinator").check_password("marac-demo-2026")


def test_seed_twice_keeps_the_data_and_the_keys(db):
    call_command("seed_demo", "--without-packs")
    keys = {device.user.username: device.bin_key for device in AuthenticatorApp.objects.select_related("user")}
    counts = (User.objects.count(), Membership.objects.count(), Agency.objects.count())
    call_command("seed_demo", "--without-packs")
    assert {device.user.username: device.bin_key for device in AuthenticatorApp.objects.select_related("user")} == keys
    assert (User.objects.count(), Membership.objects.count(), Agency.objects.count()) == counts


@override_settings(MARAC_ENV="production")
@pytest.mark.parametrize("command", [["seed_demo"], ["demo_totp", "coordinator"], ["seed_scale", "--referrals", "10", "--areas", "1"]])
def test_demo_commands_refuse_to_run_in_production(db, command):
    with pytest.raises(CommandError, match="refuses to run in production"):
        call_command(*command)
    assert not User.objects.exists()


def test_demo_code_prints_six_digits(db, capsys):
    call_command("seed_demo", "--without-packs")
    capsys.readouterr()
    call_command("demo_totp", "coordinator")
    assert capsys.readouterr().out.strip().isdigit()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["new_idva"], "new_idva has not set up security codes yet"),
        (["nobody"], "There is no account called 'nobody'"),
        ([], "Name the account"),
    ],
)
def test_demo_code_explains_what_it_cannot_print_without_a_traceback(db, capsys, argv, says):
    from django.core.management import execute_from_command_line

    call_command("seed_demo", "--without-packs")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["manage.py", "demo_totp", *argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert says in err and "Traceback" not in err
    if argv == ["new_idva"]:
        assert "first sign-in shows a QR code" in err


def test_the_demo_shows_every_criterion_a_decline_and_a_cross_area_match(db):
    from django.utils import timezone

    from referrals import selectors
    from referrals.models import Referral, Victim

    call_command("seed_demo", "--without-packs")
    criteria = {c for r in Referral.objects.all() for c in r.criteria}
    assert criteria == {"visible_high_risk", "professional_judgement", "potential_escalation", "repeat"}
    assert Referral.objects.filter(status=Referral.Status.DECLINED).exists()
    jo = next(
        v for v in Victim.objects.select_related("case__data_key", "case__area") if v.case.area.short_code == "NWL" and v.name == "Jo Pryce"
    )
    matches = selectors.recent_matches_elsewhere(jo, timezone.localdate())
    assert [case.area.short_code for case, _ in matches] == ["CHA"]


def test_seed_has_a_past_meeting_with_issued_minutes_and_an_upcoming_one_with_its_agenda_issued(db):
    from meetings.models import Action, Meeting

    call_command("seed_demo", "--without-packs")
    past = Meeting.objects.get(status=Meeting.Status.MINUTES_ISSUED)
    upcoming = Meeting.objects.get(status=Meeting.Status.AGENDA_ISSUED)
    assert Meeting.objects.filter(status=Meeting.Status.CLOSED).count() == 7  # one in each earlier quarter, for the NI 32 trend
    assert past.status == Meeting.Status.MINUTES_ISSUED and past.minutes.get().addenda.count() == 1
    assert set(Action.objects.filter(meeting=past).values_list("status", flat=True)) == {"open", "done", "not_possible", "not_done"}
    assert upcoming.status == Meeting.Status.AGENDA_ISSUED and upcoming.agenda_items.filter(removed_at=None).exists()
    # The open and not-done actions are carried over to the upcoming agenda.
    from meetings.selectors import carried_over_actions

    assert carried_over_actions(upcoming).count() == 2


def test_the_escalation_referral_is_accepted_and_on_the_upcoming_agenda_as_the_readme_says(db):
    from meetings.models import Meeting
    from referrals.models import Referral

    call_command("seed_demo", "--without-packs")
    escalation = next(r for r in Referral.objects.all() if "potential_escalation" in r.criteria)
    assert escalation.status == Referral.Status.ACCEPTED
    upcoming = Meeting.objects.get(status=Meeting.Status.AGENDA_ISSUED)
    assert upcoming.agenda_items.filter(case=escalation.case, removed_at=None).exists()


def test_the_past_meetings_records_carry_its_dates_not_todays(db):
    from django.utils import timezone

    from meetings.models import ActionUpdate, Meeting, MinutesAddendum

    call_command("seed_demo", "--without-packs")
    past = Meeting.objects.get(status=Meeting.Status.MINUTES_ISSUED)
    held = past.starts_at.date()
    attendance = past.attendances.get()
    stamps = {
        "agenda issued": past.agenda_issued_at,
        "statement accepted": attendance.confidentiality_accepted_at,
        "research returned": past.research_returns.get().returned_at,
        "minutes issued": past.minutes_issued_at,
        "addendum": MinutesAddendum.objects.get(minutes__meeting=past).added_at,
        **{f"action update {u.pk}": u.at for u in ActionUpdate.objects.filter(action__meeting=past)},
    }
    days_from_the_meeting = {what: (timezone.localtime(at).date() - held).days for what, at in stamps.items()}
    assert all(-30 <= days <= 30 for days in days_from_the_meeting.values()), days_from_the_meeting
    assert days_from_the_meeting["agenda issued"] < 0 < days_from_the_meeting["minutes issued"]


def test_the_seed_ends_with_the_demo_meetings_packs_ready(db, monkeypatch):
    """So the demo shows what a recipient normally meets: a pack ready to download at once."""
    from meetings.models import Meeting, StoredPack

    monkeypatch.setattr("meetings.packs.render_pdf", lambda html, **limits: b"%PDF-stand-in\n" + html.encode())
    call_command("seed_demo")
    upcoming = Meeting.objects.get(status=Meeting.Status.AGENDA_ISSUED)
    ready = set(upcoming.stored_packs.filter(status=StoredPack.Status.READY).values_list("recipient__username", "kind"))
    assert ready == {("coordinator", "agenda"), ("coordinator", "pack"), ("chair", "agenda"), ("chair", "pack")}
    assert not StoredPack.objects.exclude(status=StoredPack.Status.READY).exists()
    call_command("seed_demo")  # again, as `make run` does: nothing changed, nothing rendered
    assert set(upcoming.stored_packs.filter(status=StoredPack.Status.READY).values_list("recipient__username", "kind")) == ready


def test_the_demo_code_is_the_apps_code_for_now_whatever_drift_the_server_recorded(db, coordinator):
    """After a code checked just past the end of its 30 seconds the device keeps a drift of -1 and
    that step as its last used: the next demo code must be the one an app shows now, which the
    server accepts, not the one already used."""
    device = AuthenticatorApp.objects.get(user=coordinator)
    device.last_t, device.drift = int(time.time()) // device.step - 1, -1
    device.save()
    assert device.verify_token(int(current_code(device)))
