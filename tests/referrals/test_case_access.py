"""Who can see a case: by relationship only. No relationship is a 404, logged as denied."""

import pytest
from django.contrib.auth.models import Permission
from guardian.shortcuts import assign_perm

from audit.models import AccessEvent
from marac.models import Role
from tests.conftest import grant_hearing


def page(client, case, suffix=""):
    return client.get(f"/cases/{case.reference}/{suffix}")


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "chair", "auditor"])
def test_people_related_to_the_case_see_it(request, sign_in_fully, case_a, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    assert page(client, case_a).status_code == 200
    assert case_a.reference in client.get("/cases/").content.decode()


@pytest.mark.parametrize("persona", ["unrelated", "agency_rep", "admin_user"])
def test_people_without_a_relationship_get_404_and_a_denied_event(request, sign_in_fully, case_a, persona):
    user = request.getfixturevalue(persona)
    client = sign_in_fully(user)
    for suffix in ("", "victim/"):
        assert page(client, case_a, suffix).status_code == 404
    assert case_a.reference not in client.get("/cases/").content.decode()
    denied = AccessEvent.objects.filter(user=user, outcome="denied", case_reference=case_a.reference)
    assert denied.count() == 2


def test_an_unknown_reference_is_the_same_404(sign_in_fully, unrelated, case_a):
    client = sign_in_fully(unrelated)
    assert client.get("/cases/NWL-2099-9999/").status_code == page(client, case_a).status_code == 404


def test_a_referrer_from_another_agency_in_the_same_area_does_not_see_it(sign_in_fully, case_a, area, police):
    from marac.models import Role
    from tests.conftest import make_person

    other_referrer = make_person("police_referrer", Role.REFERRER, police, area)
    assert page(sign_in_fully(other_referrer), case_a).status_code == 404


def test_an_agency_invited_to_hear_the_case_sees_it(sign_in_fully, agency_rep, case_a):
    grant_hearing(agency_rep, case_a)
    assert page(sign_in_fully(agency_rep), case_a).status_code == 200


def test_a_global_permission_grants_nothing(sign_in_fully, agency_rep, case_a):
    agency_rep.user_permissions.add(Permission.objects.get(codename="hear_case"))
    agency_rep.user_permissions.add(Permission.objects.get(codename="view_case"))
    assert page(sign_in_fully(agency_rep), case_a).status_code == 404


def test_a_superuser_flag_grants_nothing(sign_in_fully, unrelated, case_a):
    unrelated.is_superuser = True
    unrelated.save()
    assert page(sign_in_fully(unrelated), case_a).status_code == 404


def test_the_case_list_costs_the_same_queries_for_3_or_30_cases(
    sign_in_fully, coordinator, area, idva, referrer, django_assert_max_num_queries
):
    from tests.conftest import make_case

    client = sign_in_fully(coordinator)
    for n in range(3):
        make_case(area, idva, referrer, name=f"Person {n}")
    client.get("/cases/")
    # With the audit chain head (and its lock on PostgreSQL), grants, the page's count, the meetings
    # to filter by and the unread notifications.
    with django_assert_max_num_queries(14) as few:
        client.get("/cases/")
    for n in range(27):
        make_case(area, idva, referrer, name=f"Person {n + 3}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/cases/").content.decode().count("/cases/NWL-") == 30


def test_get_only_and_post_only_methods(sign_in_fully, referrer, case_a):
    client = sign_in_fully(referrer)
    assert client.post("/cases/").status_code == 405
    assert client.post(f"/cases/{case_a.reference}/").status_code == 405
    assert client.delete(f"/cases/{case_a.reference}/victim/").status_code == 405


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


@pytest.mark.parametrize("reference", ["NWL%00x", "nwl-2026-0001", "N" * 5000, "%E2%80%AE", "..%2F..%2Fadmin"])
def test_references_that_are_not_references_are_404_without_reaching_the_database(
    sign_in_fully, referrer, case_a, reference, django_assert_max_num_queries
):
    client = sign_in_fully(referrer)
    with django_assert_max_num_queries(5):  # the session, user and memberships, nothing about cases
        assert client.get(f"/cases/{reference}/").status_code == 404


def test_being_refused_the_edit_page_is_recorded(sign_in_fully, chair, case_a):
    assert sign_in_fully(chair).get(f"/cases/{case_a.reference}/victim/").status_code == 403
    assert AccessEvent.objects.filter(user=chair, event="victim_edit_denied", outcome="denied").exists()
