from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from marac.models import MaracArea
from marac.periods import rolling_year
from referrals.models import Referral, Victim
from reports.selectors import ni32_across, ni32_by_area
from tests.scratch_db import manage, scratch_postgres


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


def test_seed_scale_numbers_references_after_the_highest_even_past_a_gap(db):
    """Loads in parallel commit out of order, so a failed run can leave a gap: counting cases
    would hand out a number already taken."""
    from referrals.models import Case

    call_command("seed_scale", referrals=3, areas=1, stdout=StringIO())
    Case.objects.filter(reference="S0001-S3").update(reference="S0001-S900")  # as if loads 2 to 299 had failed
    call_command("seed_scale", referrals=2, areas=1, stdout=StringIO())
    assert sorted(Case.objects.values_list("reference", flat=True)) == ["S0001-S1", "S0001-S2", "S0001-S900", "S0001-S901", "S0001-S902"]


def test_seed_scale_refuses_a_number_of_workers_out_of_range(db):
    from django.core.management.base import CommandError

    for workers in (0, 17):
        with pytest.raises(CommandError, match="workers"):
            call_command("seed_scale", referrals=5, areas=1, workers=workers, stdout=StringIO())
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_seed_scale_in_worker_processes_leaves_one_intact_chain_with_every_row_in_it():
    """Two processes writing side by side, each appending its chain entries at the end of its
    loads (ADR 0032): committed data, so on a scratch database of its own."""
    if connection.vendor != "postgresql":
        pytest.skip("worker processes write on PostgreSQL only; CI runs this on PostgreSQL too")
    with scratch_postgres() as env:
        manage(env, "seed_scale", "--referrals", "9000", "--areas", "2", "--workers", "2", "--quiet")
        chain = manage(env, "verify_audit_chain").stdout  # each exits 1 on any failure, which manage raises
        rows = manage(env, "verify_rows").stdout
        counted = manage(env, "shell", "-v0", "-c", COUNTS).stdout.split()
    assert chain.startswith("Intact: ") and "0 missing, 0 not yet recorded" in rows, (chain, rows)
    assert counted == ["9000", "9000", "9000"]


COUNTS = """
from referrals.models import Case, Referral, Victim
print(Case.objects.count(), Referral.objects.count(), len(set(Case.objects.values_list("reference", flat=True))))
"""
