"""Serial perpetrators (ADR 0026): one perpetrator linked across victims' cases by a blind index of
their own, shown to the case area's coordinator or chair and to nobody else (it would be an oracle)."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessEvent
from marac.models import Role
from marac.security import blind_index
from marac.security.models import BlindIndexEntry
from marac.security.policy import Rel
from referrals import perpetrator_links, services
from referrals.checklists import DASH_2009
from referrals.models import Perpetrator
from referrals.perpetrator_links import PERPETRATOR_INDEX
from referrals.selectors import NAME_DOB_INDEX
from tests.conftest import grant_hearing, make_case, make_person

BORN = date(1986, 7, 9)
TODAY = date(2026, 11, 20)


def add_perpetrator(case, by, name="Darren Hale", born=BORN, aliases=()):
    details = {"name": name, "date_of_birth": born, "relationship_to_victim": Perpetrator.Relationship.EX_PARTNER}
    if aliases:
        details["aliases"] = list(aliases)
    return services.perpetrator_add(case=case, details=details, by=by, today=TODAY)


@pytest.fixture
def charnwood_coordinator(other_area, police):
    user = make_person("cha_coordinator", Role.COORDINATOR, police, other_area)
    user.first_name, user.last_name = "Priya", "Shah"
    user.save()
    return user


@pytest.fixture
def case_c(other_area, idva):
    """A case in Charnwood, referred by a Charnwood worker."""
    worker = make_person("cha_referrer", Role.REFERRER, idva, other_area)
    return make_case(other_area, idva, worker, name="Joanne Pike", date_of_birth=date(1991, 1, 5))


@pytest.fixture
def linked(case_a, case_b, case_c, referrer):
    """Darren Hale on case A; on case B under another name with Darren Hale as an alias; on
    Charnwood's case C by the same name in other letters."""
    return {
        "a": add_perpetrator(case_a, referrer),
        "b": add_perpetrator(case_b, referrer, name="D. J. Hale", aliases=["Darren  HALE"]),
        "c": add_perpetrator(case_c, case_c.created_by, name="darren hale"),
    }


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def events(name):
    return list(AccessEvent.objects.filter(event=name).order_by("sequence"))


# --- The index ----------------------------------------------------------------------------------


def test_name_and_each_alias_are_indexed_with_the_date_of_birth_under_their_own_key(case_a, referrer):
    perpetrator = add_perpetrator(case_a, referrer, aliases=["Daz Hale"])
    stored = blind_index.digests_of(index_name=PERPETRATOR_INDEX, subject_uuids=[perpetrator.uuid])[perpetrator.uuid]
    expected = {blind_index.digest(PERPETRATOR_INDEX, blind_index.name_and_birth_date(n, BORN)) for n in ("Darren Hale", "Daz Hale")}
    assert stored == expected
    # The victim index's key is another: the same name and date never compares equal across the two.
    assert blind_index.digest(NAME_DOB_INDEX, blind_index.name_and_birth_date("Darren Hale", BORN)) not in stored


def test_a_keyring_reusing_the_victim_index_key_for_perpetrators_is_refused():
    """An operator upgrading might paste victim_name_dob's key in as perpetrator_name_dob: then a
    person's digest as a victim equals their digest as a perpetrator, and the table shows
    counter-allegations. The keyring refuses it (the service would not start)."""
    import json

    from marac.security.keyring import Keyring, KeyringError, new_keyring_json

    data = json.loads(new_keyring_json("kek-1"))
    data["index_keys"]["perpetrator_name_dob"] = data["index_keys"]["victim_name_dob"]
    with pytest.raises(KeyringError, match="its own key"):
        Keyring.from_json(json.dumps(data))
    assert Keyring.from_json(new_keyring_json("kek-1")).index_keys  # a fresh one still loads


def test_a_perpetrator_without_a_date_of_birth_is_not_indexed(case_a, case_b, referrer):
    add_perpetrator(case_a, referrer, born=None)
    add_perpetrator(case_b, referrer, born=None)
    assert not BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX).exists()  # a name alone links strangers
    assert perpetrator_links.linked_case_uuids(case=case_a) == {}


def test_links_follow_an_edit_and_a_removal(linked, case_a, case_b):
    a = linked["a"]
    assert perpetrator_links.linked_case_uuids(case=case_a)[a.uuid] >= {case_b.uuid}
    a.date_of_birth = date(1970, 1, 1)
    a.save()
    perpetrator_links.perpetrator_reindex(perpetrator=a)
    assert perpetrator_links.linked_case_uuids(case=case_a) == {}
    perpetrator_links.perpetrator_unindex(perpetrator=linked["b"])
    assert not BlindIndexEntry.objects.filter(subject_uuid=linked["b"].uuid).exists()


def test_erasing_a_case_removes_its_perpetrator_entries_and_its_links(linked, case_a, case_b, coordinator):
    services.case_shred(case=case_b, by=coordinator)
    assert not BlindIndexEntry.objects.filter(case_uuid=case_b.uuid).exists()
    assert case_b.uuid not in perpetrator_links.linked_case_uuids(case=case_a)[linked["a"].uuid]


def test_the_command_indexes_perpetrators_recorded_before_the_index(linked, case_a, case_b, case_c):
    BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX).delete()
    call_command("index_perpetrators", stdout=StringIO())
    call_command("index_perpetrators", stdout=StringIO())  # twice: nothing doubles
    assert perpetrator_links.linked_case_uuids(case=case_a)[linked["a"].uuid] == {case_b.uuid, case_c.uuid}
    assert BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX).count() == 4  # a; b and its alias; c


def test_one_perpetrator_that_fails_to_decrypt_does_not_stop_the_command(linked, case_a, case_b, case_c):
    """A row moved from another row (or tampered with) fails to decrypt. The command logs it and
    goes on: otherwise every perpetrator after it would stay unlinked after an upgrade."""
    table = Perpetrator._meta.db_table
    moved = f"UPDATE {table} SET name = (SELECT name FROM {table} WHERE id = %s) WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(moved, [linked["b"].pk, linked["a"].pk])
    BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX).delete()
    out, err = StringIO(), StringIO()
    call_command("index_perpetrators", stdout=out, stderr=err)
    assert "Indexed 2 perpetrators." in out.getvalue() and "1 perpetrators failed to decrypt" in err.getvalue()
    assert case_a.reference not in err.getvalue()  # named in the access log only
    assert perpetrator_links.linked_case_uuids(case=case_b)[linked["b"].uuid] == {case_c.uuid}  # those after it are linked
    [failed] = events("perpetrator_index_failed")
    assert (failed.case_reference, failed.outcome) == (case_a.reference, "integrity_failure")


# --- The case page ------------------------------------------------------------------------------


def test_the_coordinator_sees_own_area_links_listed_and_others_only_counted(sign_in_fully, coordinator, charnwood_coordinator, linked):
    case_a, case_b, case_c = (linked[k].case for k in "abc")
    shown = page(sign_in_fully(coordinator), f"/cases/{case_a.reference}/")
    assert "perpetrator linked to 2 other cases" in shown
    assert f'href="/cases/{case_b.reference}/"' in shown
    assert "1 case in Charnwood: contact Priya Shah, Charnwood's MARAC coordinator" in shown
    assert case_c.reference not in shown and "Joanne Pike" not in shown and "Aisha Rahman" not in shown
    assert f'href="/cases/{case_a.reference}/perpetrators/{linked["a"].pk}/links/"' in shown


def test_the_chair_sees_links_too(sign_in_fully, chair, linked):
    assert "perpetrator linked to 2 other cases" in page(sign_in_fully(chair), f"/cases/{linked['a'].case.reference}/")


def test_each_case_page_view_is_one_logged_lookup(sign_in_fully, coordinator, linked):
    case_a, case_b, case_c = (linked[k].case for k in "abc")
    page(sign_in_fully(coordinator), f"/cases/{case_a.reference}/")
    [looked_up] = events("perpetrator_links_looked_up")
    assert (looked_up.case_reference, looked_up.user, looked_up.purpose) == (
        case_a.reference,
        coordinator,
        "perpetrator links on the case page: 2 linked cases",
    )
    reads = {e.case_reference: e.fields for e in AccessEvent.objects.filter(purpose=f"perpetrator link from {case_a.reference}")}
    assert reads == {case_b.reference: ["perpetrator_link"], case_c.reference: ["perpetrator_link_counted"]}


def test_the_page_costs_the_same_queries_whatever_the_number_of_links(client, sign_in_fully, coordinator, area, idva, referrer, linked):
    client = sign_in_fully(coordinator)
    url = f"/cases/{linked['a'].case.reference}/"
    with CaptureQueriesContext(connection) as few:
        page(client, url)
    for n in range(4):
        add_perpetrator(make_case(area, idva, referrer, name=f"Victim {n}"), referrer)
    with CaptureQueriesContext(connection) as many:
        assert "perpetrator linked to 6 other cases" in page(client, url)
    assert len(many.captured_queries) == len(few.captured_queries)


def _without_tokens(html: str) -> str:
    return re.sub(r'(value|nonce)="[^"]*"', "", html)


@pytest.mark.parametrize("persona", ["referrer", "auditor", "agency_rep"])
def test_no_one_else_learns_a_link_exists_from_the_case_page(request, client, sign_in_fully, persona, case_a, case_b, referrer):
    """The oracle: a referrer (or anyone but the coordinator and chair) adds a perpetrator with a
    known name and date of birth. Their case page is byte for byte what it would be with no link
    anywhere, and costs the same queries: no section, no count, no lookup to time, no log line."""
    user = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(user, case_a)
    add_perpetrator(case_a, referrer)
    client = sign_in_fully(user)
    url = f"/cases/{case_a.reference}/"
    page(client, url)  # once first: a representative's first page looks up the permission, then caches it
    with CaptureQueriesContext(connection) as alone:
        before = page(client, url)
    add_perpetrator(case_b, referrer)  # now Darren Hale is linked to another case
    assert perpetrator_links.linked_case_uuids(case=case_a)  # the link exists ...
    with CaptureQueriesContext(connection) as linked_now:
        after = page(client, url)
    assert _without_tokens(after) == _without_tokens(before)  # ... and nothing on their page says so
    assert len(linked_now.captured_queries) == len(alone.captured_queries)
    assert "linked to" not in after and case_b.reference not in after
    assert not events("perpetrator_links_looked_up")


def test_a_referrer_adding_a_known_perpetrator_learns_nothing(client, sign_in_fully, referrer, case_a, case_c, linked):
    """Through the add form itself: the answer is the same redirect and message, linked or not."""
    client = sign_in_fully(referrer)
    form = {
        "name": "Darren Hale",
        "date_of_birth-day": "9",
        "date_of_birth-month": "7",
        "date_of_birth-year": "1986",
        "relationship_to_victim": "partner",
    }
    known = client.post(f"/cases/{case_a.reference}/perpetrators/new/", form, follow=True)
    unknown = client.post(f"/cases/{case_a.reference}/perpetrators/new/", {**form, "name": "Nobody Known"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(f"/cases/{case_a.reference}/", 302)]
    assert "linked" not in known.content.decode() and case_c.reference not in known.content.decode()
    assert Perpetrator.objects.filter(case=case_a).count() == 3  # both were added: the form still works
    assert not events("perpetrator_links_looked_up")


def test_an_emergency_access_holder_sees_no_links(client, sign_in_fully, area, police, linked):
    colleague = make_person("colleague", Role.REFERRER, police, area)
    client = sign_in_fully(colleague)
    case_a = linked["a"].case
    client.post("/cases/emergency-access/", {"reference": case_a.reference, "reason": "emergency", "understood": "on"})
    shown = page(client, f"/cases/{case_a.reference}/")
    assert "Darren Hale" in shown  # the grant is open: they see who the perpetrator is ...
    assert "linked to" not in shown and linked["b"].case.reference not in shown  # ... never the links
    assert client.get(f"/cases/{case_a.reference}/perpetrators/{linked['a'].pk}/links/").status_code == 404


@pytest.mark.parametrize(
    "relationships", [{Rel.REFERRER}, {Rel.AUDITOR}, {Rel.MEETING_REP}, {Rel.BREAK_GLASS}, {Rel.BREAK_GLASS_EXTENDED}, set()]
)
def test_no_lookup_is_even_made_for_anyone_but_the_coordinator_or_chair(rf, relationships, linked, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert perpetrator_links.case_page_links(rf.get("/"), linked["a"].case, relationships) == []


# --- The perpetrator's page ---------------------------------------------------------------------


def test_the_perpetrator_page_lists_victims_in_the_coordinators_areas(sign_in_fully, coordinator, referrer, idva, linked):
    case_a, case_b, case_c = (linked[k].case for k in "abc")
    checklist = services.assessment_start(case=case_b, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=checklist, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    services.referral_submit(assessment=checklist, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))
    shown = page(sign_in_fully(coordinator), f"/cases/{case_a.reference}/perpetrators/{linked['a'].pk}/links/")
    assert "Other cases naming Darren Hale" in shown
    assert case_b.reference in shown and "Aisha Rahman" in shown and "North West Leicestershire" in shown
    assert "1 November 2026" in shown  # when Aisha's case was referred
    assert "1 case in Charnwood" in shown and case_c.reference not in shown and "Joanne Pike" not in shown
    [looked_up] = events("perpetrator_links_looked_up")
    assert looked_up.purpose == "perpetrator links on the perpetrator's page: 2 linked cases"
    reads = {e.case_reference: set(e.fields) for e in AccessEvent.objects.filter(purpose=f"perpetrator link from {case_a.reference}")}
    assert reads[case_b.reference] == {"name", "perpetrator_link"}  # the victim's name, logged against her case
    assert reads[case_a.reference] >= {"perpetrator.name"}


def test_a_coordinator_of_both_areas_sees_both_listed(sign_in_fully, coordinator, other_area, police, linked):
    coordinator.memberships.create(agency=police, area=other_area, role=Role.COORDINATOR)
    shown = page(sign_in_fully(coordinator), f"/cases/{linked['a'].case.reference}/perpetrators/{linked['a'].pk}/links/")
    assert linked["c"].case.reference in shown and "Joanne Pike" in shown and "In other areas" not in shown


@pytest.mark.parametrize("persona", ["referrer", "auditor", "agency_rep", "unrelated", "charnwood_coordinator"])
def test_anyone_else_gets_a_logged_404_from_the_perpetrator_page(request, sign_in_fully, persona, linked):
    user = request.getfixturevalue(persona)
    case_a = linked["a"].case
    if persona == "agency_rep":
        grant_hearing(user, case_a)
    response = sign_in_fully(user).get(f"/cases/{case_a.reference}/perpetrators/{linked['a'].pk}/links/")
    assert response.status_code == 404
    [refused] = AccessEvent.objects.filter(outcome="denied")
    assert refused.case_reference == case_a.reference and refused.user == user
    assert refused.event in {"perpetrator_links_denied", "case_access_denied"}
    assert not events("perpetrator_links_looked_up")


def test_another_cases_perpetrator_or_an_erased_case_is_a_404(sign_in_fully, coordinator, linked):
    client = sign_in_fully(coordinator)
    case_a, case_b = linked["a"].case, linked["b"].case
    assert client.get(f"/cases/{case_a.reference}/perpetrators/{linked['b'].pk}/links/").status_code == 404
    assert client.get(f"/cases/{case_a.reference}/perpetrators/999999/links/").status_code == 404
    services.case_shred(case=case_b, by=coordinator)
    assert client.get(f"/cases/{case_b.reference}/perpetrators/{linked['b'].pk}/links/").status_code == 404
    assert AccessEvent.objects.filter(event="perpetrator_links_denied", outcome="denied").count() == 3


def test_the_perpetrator_page_is_get_only(sign_in_fully, coordinator, linked):
    url = f"/cases/{linked['a'].case.reference}/perpetrators/{linked['a'].pk}/links/"
    assert sign_in_fully(coordinator).post(url).status_code == 405


# --- The demo -----------------------------------------------------------------------------------


def test_the_demo_links_one_perpetrator_to_two_victims_here_and_one_in_charnwood(db, client):
    from marac.models import User
    from referrals.models import Case
    from tests.conftest import sign_in_with_both_factors

    call_command("seed_demo", "--without-packs", stdout=StringIO())
    sarah = next(c for c in Case.objects.select_related("victim", "data_key") if c.victim.name == "Sarah Mitchell")
    shown = page(sign_in_with_both_factors(client, User.objects.get(username="coordinator")), f"/cases/{sarah.reference}/")
    assert "Darren Cole: perpetrator linked to 2 other cases" in shown
    assert "1 case in Charnwood: contact Owen Lewis, Charnwood's MARAC coordinator" in shown
    client.logout()
    assert "linked to" not in page(sign_in_with_both_factors(client, User.objects.get(username="referrer")), f"/cases/{sarah.reference}/")


# --- Erasure racing with an add or the command (review) ------------------------------------------


def test_a_perpetrator_added_as_the_case_is_erased_is_refused_and_never_indexed(case_a, referrer, coordinator):
    """The add form read the case before a coordinator erased it; the add finishes after. Nothing
    may be written for the erased case: no perpetrator, and above all no index entry that would
    link it again (erasure promises its entries are gone)."""
    stale = type(case_a).objects.select_related("data_key", "area").get(pk=case_a.pk)
    services.case_shred(case=case_a, by=coordinator)
    with pytest.raises(services.CaseErased):
        add_perpetrator(stale, referrer)
    assert not Perpetrator.objects.filter(case=case_a).exists()
    assert not BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()


def test_the_add_form_erased_under_the_referrer_says_so_instead_of_failing(sign_in_fully, referrer, coordinator, case_a, monkeypatch):
    from referrals import referral_views

    read = referral_views._case_for_owner

    def read_then_erased(*args, **kwargs):
        case = read(*args, **kwargs)
        services.case_shred(case=type(case).objects.get(pk=case.pk), by=coordinator)  # a coordinator, meanwhile
        return case

    monkeypatch.setattr(referral_views, "_case_for_owner", read_then_erased)
    form = {"name": "Darren Hale", "date_of_birth-day": "9", "date_of_birth-month": "7", "date_of_birth-year": "1986"}
    response = sign_in_fully(referrer).post(f"/cases/{case_a.reference}/perpetrators/new/", {**form, "relationship_to_victim": "partner"})
    assert response.status_code == 200 and "This case has been erased" in response.content.decode()
    assert not Perpetrator.objects.filter(case=case_a).exists()
    assert not BlindIndexEntry.objects.filter(case_uuid=case_a.uuid).exists()


def test_reindexing_a_perpetrator_of_a_case_erased_meanwhile_writes_no_entry(linked, case_b, coordinator):
    """index_perpetrators reads a perpetrator, the case is erased, then the command indexes it."""
    stale = Perpetrator.objects.select_related("case__data_key").get(pk=linked["b"].pk)
    services.case_shred(case=case_b, by=coordinator)
    perpetrator_links.perpetrator_reindex(perpetrator=stale)
    assert not BlindIndexEntry.objects.filter(case_uuid=case_b.uuid).exists()
    assert case_b.uuid not in perpetrator_links.linked_case_uuids(case=linked["a"].case)[linked["a"].uuid]


# --- Roles across areas, ended memberships, transfers (review) -----------------------------------


def test_a_coordinator_here_who_chairs_charnwood_sees_charnwoods_case_listed_but_not_as_a_referrer_there(
    sign_in_fully, coordinator, other_area, police, idva, linked
):
    """Listed means an area the person coordinates or chairs; any other tie there (referring for
    an agency, say) leaves the case a count."""
    case_a, case_c = linked["a"].case, linked["c"].case
    url = f"/cases/{case_a.reference}/"
    membership = coordinator.memberships.create(agency=idva, area=other_area, role=Role.REFERRER)
    shown = page(sign_in_fully(coordinator), url)
    assert case_c.reference not in shown and "1 case in Charnwood" in shown
    membership.delete()
    coordinator.memberships.create(agency=police, area=other_area, role=Role.CHAIR)
    shown = page(sign_in_fully(coordinator), url)
    assert f'href="/cases/{case_c.reference}/"' in shown and "In other areas" not in shown and "1 case in Charnwood" not in shown


def test_an_ended_membership_ends_the_links_and_is_never_named_as_the_contact(
    sign_in_fully, coordinator, charnwood_coordinator, other_area, police, linked
):
    case_a = linked["a"].case
    Membership = coordinator.memberships.model
    Membership.objects.filter(user=charnwood_coordinator).update(is_active=False)
    client = sign_in_fully(coordinator)
    shown = page(client, f"/cases/{case_a.reference}/")
    assert "1 case in Charnwood: contact Charnwood's MARAC coordinator" in shown and "Priya Shah" not in shown
    looked_up = len(events("perpetrator_links_looked_up"))
    Membership.objects.filter(user=coordinator).update(is_active=False)
    coordinator.memberships.create(agency=police, area=other_area, role=Role.REFERRER)  # still works, elsewhere
    url = f"/cases/{case_a.reference}/perpetrators/{linked['a'].pk}/links/"
    assert client.get(url).status_code == 302  # the open session ends with the membership ...
    assert sign_in_fully(coordinator).get(url).status_code == 404  # ... and signed in again, the links are gone
    assert len(events("perpetrator_links_looked_up")) == looked_up


def test_a_transferred_case_is_counted_under_its_new_area_with_that_areas_coordinator(
    sign_in_fully, coordinator, charnwood_coordinator, other_area, idva, linked
):
    from referrals import transfers

    case_a, case_b = linked["a"].case, linked["b"].case
    offer = transfers.transfer_offer(case=case_b, to_area=other_area, reason="victim_moved", by=coordinator)
    assert "perpetrator linked to 2 other cases" in page(sign_in_fully(coordinator), f"/cases/{case_a.reference}/")  # not yet moved
    make_person("cha_lead", Role.TEAM_LEAD, idva, other_area)
    transfers.transfer_accept(offer=offer, agency=idva, by=charnwood_coordinator)
    shown = page(sign_in_fully(coordinator), f"/cases/{case_a.reference}/")
    assert "2 cases in Charnwood: contact Priya Shah, Charnwood's MARAC coordinator" in shown
    assert case_b.reference not in shown  # no longer the NWL coordinator's to open
