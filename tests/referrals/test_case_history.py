from audit.models import AccessEvent
from referrals import services
from referrals.forms import VictimForm, victim_edits


def change(case, by, **changes):
    victim = case.victim.__class__.objects.select_related("case__data_key").get(pk=case.victim.pk)
    services.victim_update(victim=victim, changes=changes, expected_version=victim.row_version, by=by)


def test_the_coordinator_sees_each_change_with_who_and_when(sign_in_fully, coordinator, referrer, case_a):
    change(case_a, referrer, safe_address="New refuge, Loughborough")
    change(case_a, coordinator, phone="07700 900999")
    page = sign_in_fully(coordinator).get(f"/cases/{case_a.reference}/history/")
    html = page.content.decode()
    changes = page.context["changes"]
    assert [c["who"] for c in changes] == [coordinator, referrer, referrer]  # newest first; created by the referrer
    assert changes[0]["diffs"] == [("phone", "07700 900123", "07700 900999")]
    assert ("safe_address", "Flat 2, 9 Ashby Road, Shepshed", "New refuge, Loughborough") in changes[1]["diffs"]
    assert "record created" in html
    event = AccessEvent.objects.filter(user=coordinator, purpose="change history").get()
    assert {"phone", "safe_address"} <= set(event.fields)


def test_other_roles_cannot_see_history(sign_in_fully, referrer, chair, auditor, unrelated, case_a):
    for person, status in ((referrer, 403), (chair, 403), (auditor, 403), (unrelated, 404)):
        assert sign_in_fully(person).get(f"/cases/{case_a.reference}/history/").status_code == status


def test_history_names_the_right_person_when_two_peoples_edits_interleave(referrer, coordinator, case_a):
    from django.test import Client

    from tests.conftest import sign_in_with_both_factors

    browsers = {person: sign_in_with_both_factors(Client(), person) for person in (referrer, coordinator)}
    forms = {person: browser.get(f"/cases/{case_a.reference}/victim/").context["form"] for person, browser in browsers.items()}
    for n, person in enumerate([referrer, coordinator, referrer, coordinator]):
        latest = case_a.victim.__class__.objects.get(pk=case_a.victim.pk).row_version
        data = {k: v for k, v in forms[person].initial.items() if isinstance(v, str)} | {
            "phone": f"07700 90{n:04d}",
            **VictimForm.version_data(victim_edits(case_a.victim), latest),
            "date_of_birth_day": "14",
            "date_of_birth_month": "3",
            "date_of_birth_year": "1989",
        }
        assert browsers[person].post(f"/cases/{case_a.reference}/victim/", data).status_code == 302
    rows = case_a.victim.history.order_by("history_id")
    assert [(row.history_user, row.phone) for row in rows.select_related("case__data_key")][1:] == [
        (referrer, "07700 900000"),
        (coordinator, "07700 900001"),
        (referrer, "07700 900002"),
        (coordinator, "07700 900003"),
    ]


def test_history_rows_record_the_client_address_of_the_change(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    form = client.get(f"/cases/{case_a.reference}/victim/").context["form"]
    data = {k: v for k, v in form.initial.items() if isinstance(v, str)} | {
        "phone": "07700 900777",
        "row_version": form.initial["row_version"],
        "date_of_birth_day": "14",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1989",
    }
    client.post(f"/cases/{case_a.reference}/victim/", data, REMOTE_ADDR="198.51.100.23")
    assert case_a.victim.history.order_by("-history_id").first().history_client_ip == "198.51.100.23"


def test_history_shows_choices_and_field_names_as_people_read_them(sign_in_fully, coordinator, referrer, case_a):
    change(case_a, referrer, lgbt="yes", disabled="no")
    html = sign_in_fully(coordinator).get(f"/cases/{case_a.reference}/history/").content.decode()
    assert "LGBT+" in html and "Lgbt" not in html
    assert "Not known" in html and "not_known" not in html
    assert ">Yes<" in html and ">yes<" not in html
