from django.db import connection

from audit.models import AccessEvent
from marac.security.models import DataKey
from referrals.models import Victim


def test_a_tampered_record_shows_a_safe_page_and_records_a_security_event(sign_in_fully, referrer, case_a):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Victim._meta.db_table} SET safe_address = %s WHERE id = %s", [b"Plaintext Road", case_a.victim.pk])
    response = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "This record cannot be shown" in html
    assert "Plaintext Road" not in html and "Sarah Mitchell" not in html
    assert AccessEvent.objects.filter(event="integrity_failure", case_reference=case_a.reference, user=referrer).exists()


def test_an_erased_case_shows_its_tombstone(sign_in_fully, coordinator, case_a):
    from referrals.services import case_shred

    case_shred(case=case_a, by=coordinator)
    html = sign_in_fully(coordinator).get(f"/cases/{case_a.reference}/").content.decode()
    assert "were erased" in html and "Sarah Mitchell" not in html
    assert "Erased" in sign_in_fully(coordinator).get("/cases/").content.decode()


def test_a_key_missing_from_the_keyring_is_an_integrity_failure_page_and_event(sign_in_fully, referrer, case_a):
    DataKey.objects.filter(pk=case_a.data_key.pk).update(kek_id="retired-too-early")
    response = sign_in_fully(referrer).get(f"/cases/{case_a.reference}/")
    assert response.status_code == 500 and "This record cannot be shown" in response.content.decode()
    assert AccessEvent.objects.filter(event="integrity_failure", case_reference=case_a.reference).exists()


def test_an_integrity_failure_on_the_case_list_names_the_case(sign_in_fully, coordinator, case_a):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Victim._meta.db_table} SET name = %s WHERE id = %s", [b"forged", case_a.victim.pk])
    assert sign_in_fully(coordinator).get("/cases/").status_code == 500
    assert AccessEvent.objects.filter(event="integrity_failure", case_reference=case_a.reference).exists()
