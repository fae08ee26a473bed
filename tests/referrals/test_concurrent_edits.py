"""Two people changing the same victim's details. The form carries the version it was opened at,
signed for this victim: a stale save is merged and never overwrites the colleague's change, and a
missing or forged version is refused with everything typed kept and nothing saved."""

import pytest

from audit.models import AccessEvent
from marac.concurrency import OUT_OF_DATE
from referrals import services
from referrals.forms import VictimForm, victim_edits
from referrals.models import Victim


def fresh(victim) -> Victim:
    return Victim.objects.select_related("case__data_key").get(pk=victim.pk)


def url(case) -> str:
    return f"/cases/{case.reference}/victim/"


def as_opened(form, **changes) -> dict:
    """What the form posts when saved as it was opened (case A's victim), with `changes`."""
    return {
        **{name: value for name, value in form.initial.items() if isinstance(value, str)},
        "date_of_birth_day": "14",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1989",
        **changes,
    }


def without_version(data: dict) -> dict:
    return {name: value for name, value in data.items() if name not in ("row_version", "version_signature")}


def test_a_save_from_the_version_opened_goes_through(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(url(case_a)).context["form"]
    assert opened.initial["version_signature"]
    assert client.post(url(case_a), as_opened(opened, phone="07700 900999")).status_code == 302
    assert fresh(case_a.victim).phone == "07700 900999"


def test_a_stale_save_keeps_the_change_typed_and_takes_up_the_colleagues(sign_in_fully, referrer, coordinator, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(url(case_a)).context["form"]
    services.victim_update(
        victim=fresh(case_a.victim),
        changes={"safe_phone": "07700 900777"},
        expected_version=int(opened.initial["row_version"]),
        by=coordinator,
    )
    response = client.post(url(case_a), as_opened(opened, phone="07700 900999"))
    form = response.context["form"]
    assert response.status_code == 200 and "Someone else changed these details" in response.content.decode()
    assert form.data["phone"] == "07700 900999" and form.data["safe_phone"] == "07700 900777"
    assert fresh(case_a.victim).phone == "07700 900123"  # nothing saved yet
    assert client.post(url(case_a), form.data).status_code == 302
    assert (fresh(case_a.victim).phone, fresh(case_a.victim).safe_phone) == ("07700 900999", "07700 900777")


def test_a_field_both_changed_shows_what_the_colleague_saved(sign_in_fully, referrer, coordinator, case_a):
    client = sign_in_fully(referrer)
    opened = client.get(url(case_a)).context["form"]
    services.victim_update(
        victim=fresh(case_a.victim),
        changes={"safe_times": "After 6pm <b>only</b>"},
        expected_version=int(opened.initial["row_version"]),
        by=coordinator,
    )
    response = client.post(url(case_a), as_opened(opened, safe_times="Mornings"))
    page = response.content.decode()
    assert "Someone else changed this too" in " ".join(response.context["form"].errors["safe_times"])
    assert "Saved by someone else while you were editing" in page and "After 6pm &lt;b&gt;only&lt;/b&gt;" in page
    assert response.context["form"].data["safe_times"] == "Mornings"


@pytest.mark.parametrize(
    "version",
    [
        pytest.param(lambda opened, other: {}, id="missing"),
        pytest.param(lambda opened, other: {"row_version": opened.initial["row_version"]}, id="unsigned"),
        pytest.param(lambda opened, other: {"row_version": opened.initial["row_version"], "version_signature": "forged"}, id="forged"),
        pytest.param(lambda opened, other: {"row_version": "7", "version_signature": opened.initial["version_signature"]}, id="renumbered"),
        pytest.param(lambda opened, other: VictimForm.version_data(victim_edits(other), other.row_version), id="another-victims"),
        pytest.param(lambda opened, other: {"row_version": "9" * 5000, "version_signature": "é" * 5000}, id="oversize"),
    ],
)
def test_a_missing_or_forged_version_is_refused_with_the_text_kept(sign_in_fully, referrer, case_a, case_b, version):
    client = sign_in_fully(referrer)
    opened = client.get(url(case_a)).context["form"]
    before = fresh(case_a.victim)
    post = {**without_version(as_opened(opened, phone="07700 900999", safe_address="A new refuge")), **version(opened, case_b.victim)}
    response = client.post(url(case_a), post)
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page and OUT_OF_DATE in page
    assert "07700 900999" in page and "A new refuge" in page  # what they typed is still in the form
    after = fresh(case_a.victim)
    assert (after.row_version, after.phone, after.safe_address) == (before.row_version, before.phone, before.safe_address)
    assert not AccessEvent.objects.filter(event="victim_updated").exists()


def test_after_a_refused_version_saving_again_is_deliberate_and_goes_through(sign_in_fully, referrer, case_a):
    """Nothing says what the person started from, so each field that differs from what is saved is
    marked; the form now carries the current version, signed, so a second save is their choice."""
    client = sign_in_fully(referrer)
    opened = client.get(url(case_a)).context["form"]
    form = client.post(url(case_a), without_version(as_opened(opened, phone="07700 900999"))).context["form"]
    assert "Someone else changed this too" in " ".join(form.errors["phone"])
    assert client.post(url(case_a), form.data).status_code == 302
    assert fresh(case_a.victim).phone == "07700 900999"


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
