"""Failures found in review of the encrypted records, each held off by a test."""

import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from guardian.shortcuts import assign_perm

from audit.models import AccessEvent
from marac.models import Role
from marac.security import datakeys
from marac.security.crypto import IntegrityFailure
from marac.security.keyring import Keyring, keyring_with_new_primary
from marac.security.models import BlindIndexEntry, DataKey
from referrals import services
from referrals.models import Victim
from tests.conftest import grant_hearing


def fresh(victim):
    return Victim.objects.select_related("case__data_key").get(pk=victim.pk)


def as_opened(form, **changes) -> dict:
    """What the victim form posts when saved as it was opened (case A's victim), with `changes`."""
    return {
        **{k: v for k, v in form.initial.items() if isinstance(v, str)},
        "row_version": form.initial["row_version"],
        "date_of_birth_day": "14",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1989",
        **changes,
    }


def test_a_key_shredded_while_rotation_runs_stays_shredded(case_a, case_b, monkeypatch):
    real = datakeys._rewrapped_row

    def shred_mid_batch(keyring, pk, *rest):
        if pk == case_a.data_key.pk:
            services.case_shred(case=case_a, by=None)  # commits between rotation's read and write
        return real(keyring, pk, *rest)

    monkeypatch.setattr(datakeys, "_rewrapped_row", shred_mid_batch)
    with override_settings(MARAC_KEYRING=Keyring.from_json(keyring_with_new_primary(settings.MARAC_KEYRING.to_json(), "kek-new"))):
        datakeys.data_keys_rotate()
        assert DataKey.objects.get(pk=case_a.data_key.pk).wrapped is None
        with pytest.raises(datakeys.DataKeyShredded):
            fresh(case_a.victim).safe_address
        assert fresh(case_b.victim).name == "Aisha Rahman"


def test_dumpdata_writes_no_plaintext_and_survives_a_shredded_case(case_a, case_b):
    services.case_shred(case=case_b, by=None)
    out = StringIO()
    call_command("dumpdata", "referrals", stdout=out)
    dump = out.getvalue()
    assert "referrals.historicalvictim" in dump
    for secret in ("Sarah", "1989-03-14", "Belvoir", "Ashby", "07700", "Aisha"):
        assert secret not in dump


def test_an_old_form_cannot_undo_a_newer_safe_address(sign_in_fully, referrer, coordinator, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    services.victim_update(
        victim=fresh(case_a.victim), changes={"safe_address": "NEW REFUGE"}, expected_version=case_a.victim.row_version, by=coordinator
    )
    post = as_opened(opened, phone="07700 900999")
    response = client.post(f"/cases/{case_a.reference}/victim/", post)
    assert response.status_code == 200
    assert "Someone else changed these details" in response.content.decode()
    assert "07700 900999" in response.content.decode()  # the person's input is kept
    assert fresh(case_a.victim).safe_address == "NEW REFUGE" and fresh(case_a.victim).phone == "07700 900123"
    assert "NEW REFUGE" in response.content.decode()  # the field they left alone caught up
    # Saving again what the page now shows keeps the new safe address and applies the phone.
    assert client.post(f"/cases/{case_a.reference}/victim/", response.context["form"].data).status_code == 302
    assert fresh(case_a.victim).phone == "07700 900999" and fresh(case_a.victim).safe_address == "NEW REFUGE"


def test_a_field_both_people_changed_is_marked_and_the_second_save_decides(sign_in_fully, referrer, coordinator, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    services.victim_update(
        victim=fresh(case_a.victim),
        changes={"safe_address": "NEW REFUGE", "needs_interpreter": True},
        expected_version=case_a.victim.row_version,
        by=coordinator,
    )
    post = as_opened(opened, safe_address="MY REFUGE")
    response = client.post(f"/cases/{case_a.reference}/victim/", post)
    form = response.context["form"]
    assert "Someone else changed this too" in " ".join(form.errors["safe_address"])
    assert form.data["safe_address"] == "MY REFUGE" and form.data["needs_interpreter"] == "on"
    assert fresh(case_a.victim).safe_address == "NEW REFUGE"
    assert client.post(f"/cases/{case_a.reference}/victim/", form.data).status_code == 302
    assert fresh(case_a.victim).safe_address == "MY REFUGE" and fresh(case_a.victim).needs_interpreter is True


def test_an_edit_finishing_after_a_shred_changes_nothing(case_a, referrer):
    victim = fresh(case_a.victim)
    services.case_shred(case=case_a, by=None)
    with pytest.raises(services.CaseErased):
        services.victim_update(victim=victim, changes={"name": "X"}, expected_version=victim.row_version, by=referrer)
    assert not BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()


def test_meeting_access_ends_with_the_representatives_membership(sign_in_fully, agency_rep, case_a):
    grant_hearing(agency_rep, case_a)
    assert sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").status_code == 200
    agency_rep.memberships.update(is_active=False)
    assert sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").status_code == 404


def test_a_representative_in_another_area_does_not_hear_this_areas_case(sign_in_fully, case_a, other_area, childrens_services):
    from tests.conftest import make_person

    rep_elsewhere = make_person("rep_elsewhere", Role.AGENCY_REP, childrens_services, other_area)
    assign_perm("referrals.hear_case", rep_elsewhere, case_a)
    assert sign_in_fully(rep_elsewhere).get(f"/cases/{case_a.reference}/").status_code == 404


def test_a_key_missing_from_the_keyring_is_an_integrity_failure_page_and_event(sign_in_fully, referrer, case_a):
    DataKey.objects.filter(pk=case_a.data_key.pk).update(kek_id="retired-too-early")
    response = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/")
    assert response.status_code == 500 and "This record cannot be shown" in response.content.decode()
    assert AccessEvent.objects.filter(event="integrity_failure", case_reference=case_a.reference).exists()


@pytest.mark.parametrize("reference", ["NWL%00x", "nwl-2026-0001", "N" * 5000, "%E2%80%AE", "..%2F..%2Fadmin"])
def test_references_that_are_not_references_are_404_without_reaching_the_database(
    sign_in_fully, referrer, case_a, reference, django_assert_max_num_queries
):
    client = sign_in_fully(referrer)
    with django_assert_max_num_queries(5):  # the session, user and memberships, nothing about cases
        assert client.get(f"/cases/{reference}/").status_code == 404


def test_templates_get_a_summary_that_cannot_reach_the_victim(sign_in_fully, auditor, case_a):
    response = sign_in_fully(auditor).get(f"/cases/{case_a.reference}/")
    summary = response.context["case"]
    assert not hasattr(summary, "victim") and summary.reference == case_a.reference
    rows = sign_in_fully(auditor).get("/cases/").context["rows"]
    assert all(not hasattr(row[0], "victim") for row in rows)


def test_a_victim_moved_with_its_data_key_under_another_case_is_refused(case_a, case_b):
    # Victim A and A's data key moved under case B (perhaps in an area where the attacker has access).
    from referrals.models import Case

    spare = DataKey.objects.create(case_uuid=uuid.uuid4(), kek_id="unused", wrapped=b"x")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Victim._meta.db_table} WHERE id = %s", [case_b.victim.pk])
        cursor.execute(f"UPDATE {Case._meta.db_table} SET data_key_id = %s WHERE id = %s", [spare.pk, case_a.pk])
        cursor.execute(f"UPDATE {Case._meta.db_table} SET data_key_id = %s WHERE id = %s", [case_a.data_key.pk, case_b.pk])
        cursor.execute(f"UPDATE {Victim._meta.db_table} SET case_id = %s WHERE id = %s", [case_b.pk, case_a.victim.pk])
    with pytest.raises(IntegrityFailure):
        fresh(case_a.victim).safe_address


def test_saving_some_fields_still_writes_every_encrypted_value_and_the_version(case_a):
    victim = fresh(case_a.victim)
    victim.phone = "07700 900111"
    victim.save(update_fields=["phone"])
    again = fresh(case_a.victim)
    assert again.phone == "07700 900111" and again.safe_address == "Flat 2, 9 Ashby Road, Shepshed"


def test_an_integrity_failure_on_the_case_list_names_the_case(sign_in_fully, coordinator, case_a):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Victim._meta.db_table} SET name = %s WHERE id = %s", [b"forged", case_a.victim.pk])
    assert sign_in_fully(coordinator).get("/cases/").status_code == 500
    assert AccessEvent.objects.filter(event="integrity_failure", case_reference=case_a.reference).exists()


def test_being_refused_the_edit_page_is_recorded(sign_in_fully, chair, case_a):
    assert sign_in_fully(chair).get(f"/cases/{case_a.reference}/victim/").status_code == 403
    assert AccessEvent.objects.filter(user=chair, event="victim_edit_denied", outcome="denied").exists()


def test_with_no_record_of_the_opened_version_every_difference_is_marked(sign_in_fully, referrer, coordinator, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    services.victim_update(
        victim=fresh(case_a.victim), changes={"safe_address": "NEW REFUGE"}, expected_version=case_a.victim.row_version, by=coordinator
    )
    post = as_opened(opened, row_version="999")
    form = client.post(f"/cases/{case_a.reference}/victim/", post).context["form"]
    assert "Someone else changed this too" in " ".join(form.errors["safe_address"])
    assert fresh(case_a.victim).safe_address == "NEW REFUGE"


def test_an_old_version_typed_in_by_hand_cannot_test_guesses_at_old_values(sign_in_fully, referrer, coordinator, case_a):
    """The merge reads the version the form was opened at: a version number without the form's
    signature is not believed, so the answer is the same whether a guess was right or wrong."""
    client = sign_in_fully(referrer)
    opened = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    services.victim_update(
        victim=fresh(case_a.victim),
        changes={"address": "2 New Street"},
        expected_version=int(opened.initial["row_version"]),
        by=coordinator,
    )
    client.get(f"/cases/{case_a.reference}/victim/")  # the referrer now sees only the new address
    marked = []
    for guess in ("14 Belvoir Road, Coalville", "99 Wrong Lane"):  # the old address, and a wrong guess
        post = as_opened(opened, address=guess, version_signature="forged")
        marked.append("address" in client.post(f"/cases/{case_a.reference}/victim/", post).context["form"].errors)
    assert marked == [True, True]
