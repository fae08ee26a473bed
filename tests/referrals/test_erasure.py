"""Erasing a case (shredding its data key) is final: an edit that was under way when the case was
shredded changes nothing and writes no new blind-index entries."""

import pytest

from marac.security.models import BlindIndexEntry
from referrals import services
from referrals.models import Victim


def fresh(victim):
    return Victim.objects.select_related("case__data_key").get(pk=victim.pk)


def test_an_edit_finishing_after_a_shred_changes_nothing(case_a, referrer):
    victim = fresh(case_a.victim)
    services.case_shred(case=case_a, by=None)
    with pytest.raises(services.CaseErased):
        services.victim_update(victim=victim, changes={"name": "X"}, expected_version=victim.row_version, by=referrer)
    assert not BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()
