"""A representative who has not accepted a meeting's confidentiality statement is told that, and
shown the way to it, rather than "your role does not allow it"; the refusal is still logged."""

from audit.models import AccessEvent


def test_a_case_before_the_statement_links_to_the_statement_and_is_logged(sign_in_fully, issued, agency_rep, case_a):
    response = sign_in_fully(agency_rep).get(f"/meetings/{issued.pk}/cases/{case_a.reference}/")
    page = response.content.decode()
    assert response.status_code == 403
    assert f'href="/meetings/{issued.pk}/confidentiality/"' in page
    assert "Accept the confidentiality statement first" in page and "Your role does not allow it" not in page
    assert "Sarah Mitchell" not in page
    refusal = AccessEvent.objects.get(user=agency_rep, event="confidentiality_not_accepted")
    assert refusal.outcome == "denied"


def test_a_pack_before_the_statement_links_to_the_statement(sign_in_fully, issued, agency_rep):
    response = sign_in_fully(agency_rep).get(f"/meetings/{issued.pk}/documents/pack.pdf")
    assert response.status_code == 403
    assert f'href="/meetings/{issued.pk}/confidentiality/"' in response.content.decode()
    assert AccessEvent.objects.filter(user=agency_rep, event="pdf_download_denied", outcome="denied").count() == 1


def test_other_refusals_still_say_the_role_does_not_allow_it(sign_in_fully, rep_accepted, agency_rep):
    response = sign_in_fully(agency_rep).get(f"/meetings/{rep_accepted.pk}/register/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your role does not allow it" in page and "confidentiality/" not in page
