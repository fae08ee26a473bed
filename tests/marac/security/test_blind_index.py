from datetime import date

import pytest

from marac.security import blind_index
from marac.security.models import BlindIndexEntry
from referrals.services import NAME_DOB_INDEX
from tests.conftest import make_case


def matches(name: str, born: date) -> set:
    return blind_index.cases_matching(index_name=NAME_DOB_INDEX, values=[blind_index.name_and_birth_date(name, born)])


@pytest.mark.parametrize("typed", ["sarah mitchell", "  SARAH   Mitchell ", "Sárah Mitchéll", "Sarah\tMitchell"])
def test_case_whitespace_and_diacritics_are_folded(case_a, typed):
    assert matches(typed, date(1989, 3, 14)) == {case_a.uuid}


def test_a_different_date_or_name_does_not_match(case_a):
    assert matches("Sarah Mitchell", date(1989, 3, 15)) == set()
    assert matches("Sarah Mitchel", date(1989, 3, 14)) == set()


def test_a_match_is_found_across_areas_through_an_alias_and_an_alternative_date(other_area, idva, unrelated):
    charnwood = make_case(
        other_area,
        idva,
        unrelated,
        name="Joanne Price",
        aliases=["Jo Pryce"],
        date_of_birth=date(1985, 1, 9),
        alternative_dates_of_birth=["1985-09-01"],
    )
    assert matches("Jo Pryce", date(1985, 1, 9)) == {charnwood.uuid}
    assert matches("Joanne Price", date(1985, 9, 1)) == {charnwood.uuid}
    assert matches("Jo Pryce", date(1985, 9, 1)) == {charnwood.uuid}


def test_entries_are_truncated_hmacs_not_the_value(case_a):
    digests = [bytes(d) for d in BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).values_list("digest", flat=True)]
    assert digests and all(len(d) == 16 for d in digests)
    assert all(b"sarah" not in d.lower() for d in digests)


def test_changing_the_name_replaces_the_entries(case_a, referrer):
    from referrals.services import victim_update

    victim_update(victim=case_a.victim, changes={"name": "Sarah Kerr"}, expected_version=case_a.victim.row_version, by=referrer)
    assert matches("Sarah Mitchell", date(1989, 3, 14)) == set()
    assert matches("Sarah Kerr", date(1989, 3, 14)) == {case_a.uuid}


def test_a_different_index_key_gives_different_digests(settings, case_a):
    from marac.security.keyring import Keyring, new_keyring_json

    before = blind_index.digest(NAME_DOB_INDEX, "x|2000-01-01")
    settings.MARAC_KEYRING = Keyring.from_json(new_keyring_json("other"))
    assert blind_index.digest(NAME_DOB_INDEX, "x|2000-01-01") != before
