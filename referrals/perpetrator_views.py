"""A perpetrator's links to other victims' cases (issue 18, ADR 0026), for the coordinator or chair
of the case's area: the linked cases in their own areas, and counts with whom to ask elsewhere."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from referrals.access import perpetrator_get_for_link_viewer
from referrals.perpetrator_links import perpetrator_page_links
from referrals.presenters import case_summary


@require_GET
def perpetrator_links(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The victims' cases linked to this perpetrator by name and date of birth. The getter gives
    anyone but the area's coordinator or chair the same logged 404 as a stranger."""
    perpetrator, case, relationships = perpetrator_get_for_link_viewer(request, reference, pk, purpose="perpetrator links")
    links, view = perpetrator_page_links(request, case, perpetrator, relationships)
    context = {"case": case_summary(case), "perpetrator": view, "links": links}
    return render(request, "referrals/perpetrator_links.html", context)
