from io import StringIO

from django.core.management import call_command

from marac.models import MaracArea
from marac.periods import rolling_year
from referrals.models import Referral, Victim
from reports.selectors import ni32_across, ni32_by_area


def test_seed_scale_creates_encrypted_referrals_heard_across_areas(db):
    call_command("seed_scale", referrals=600, areas=3, stdout=StringIO())
    assert Referral.objects.count() == 600 and MaracArea.objects.count() == 3
    victim = Victim.objects.select_related("case__data_key").first()
    assert victim.name.startswith("Synthetic person")  # decrypts: encrypted like any record
    assert b"Synthetic" not in bytes(Victim.objects.values_list("name", flat=True).first())
    call_command("seed_scale", referrals=10, areas=3, stdout=StringIO())  # again: new references, no clash
    from datetime import date

    total = ni32_across(ni32_by_area(rolling_year(date.today()), list(MaracArea.objects.all())))
    assert 0 < total.heard <= 610 and 0 < total.repeats < total.heard


def test_seed_scale_shows_no_progress_bar_off_a_terminal_or_when_quiet(db, capsys):
    call_command("seed_scale", referrals=5, areas=1, stdout=StringIO())  # pytest's stderr is no terminal
    call_command("seed_scale", "--quiet", "--referrals", "5", "--areas", "1", stdout=StringIO())
    assert capsys.readouterr().err == "" and Referral.objects.count() == 10


def test_seed_scale_leaves_every_encrypted_row_in_the_chain(db):
    from marac.security.row_versions import rows_verify

    call_command("seed_scale", referrals=30, areas=2, stdout=StringIO())
    report = rows_verify()
    assert report.checked > 30 and report.failed == 0 and sum(report.counts.values()) == 0
