"""Help: a short page per role on its common tasks, for anyone signed in.

The pages hold no victim data and look nothing up: they describe the service, so they read the
same for everyone and write no access event. They need both factors like any other page, as
they describe how the service works and there is no need to show that to the world.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from marac.models import Role
from marac.viewer import ViewerRequest


@dataclass(frozen=True)
class HelpPage:
    slug: str
    title: str
    summary: str
    role: str

    @property
    def url_name(self) -> str:
        return f"help-{self.slug}"

    @property
    def template(self) -> str:
        return f"help/{self.slug}.html"


PAGES = (
    HelpPage("referrer", "Help for referrers", "Risk checklists, referrals to MARAC and the coordinator's questions.", Role.REFERRER),
    HelpPage(
        "coordinator", "Help for MARAC coordinators", "Triage, meetings and agendas, research and the NI 32 figures.", Role.COORDINATOR
    ),
    HelpPage("chair", "Help for MARAC chairs", "Running the meeting, minutes and actions.", Role.CHAIR),
    HelpPage(
        "representative",
        "Help for agency representatives",
        "The confidentiality statement, research, meeting packs and your agency's actions.",
        Role.AGENCY_REP,
    ),
    HelpPage("auditor", "Help for auditors", "The access log, who accessed a case, anomalies and the chain.", Role.AUDITOR),
)


@require_GET
def help_index(request: ViewerRequest) -> HttpResponse:
    # The person's own roles first: that is the page they most likely came for.
    roles = request.viewer.roles
    pages = sorted(PAGES, key=lambda page: page.role not in roles)
    return render(request, "help/index.html", {"pages": pages, "own_roles": roles})


@require_GET
def help_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = next(page for page in PAGES if page.slug == slug)
    return render(request, page.template, {"page": page})


# Fixed paths, one a role, rather than help/<role>/: nothing typed reaches the view.
help_urlpatterns = [
    path("", help_index, name="help"),
    *(path(f"{page.slug}/", help_page, {"slug": page.slug}, name=page.url_name) for page in PAGES),
]
