"""One way to say no on a page that shows or protects victim data, the audit workspace or the admin
(ADR 15).

`refuse()` writes exactly one denied access event and raises the 403 or 404 that Django renders
with the usual templates, so the answer reads the same as before and a 404 still says nothing
about whether the case, meeting or person exists. Someone probing the audit workspace, the admin
or another area's cases leaves a trace in the tamper-evident log.

Why the event is written where the refusal is raised, not by middleware when the exception leaves
the view: only the code that refuses knows which event it is and which case it concerns, and some
views catch a getter's 404 to turn it into a form error (adding a case to an agenda by reference);
that probe must still be in the log although no exception ever reaches a middleware.

What goes in the event: its name, the case reference (an id; cut to its column), and a purpose
naming the page and ids. Never anything a person typed into a form, and never personal data.

The exceptions are PermissionDenied and Http404 subclasses, so Django handles them as before and
views that catch Http404 keep working; they also mark the refusal as logged. For any other
PermissionDenied or Http404 leaving a signed-in page (one raised by code that forgot this helper)
`RefusalsLoggedMiddleware` calls `log_unrouted()`, which writes a generic `access_denied` event:
every refusal on a protected page is logged once, never twice and never not at all. URLs that
resolve to no page (and static files) raise nothing in a view, so they are not logged.
"""

from dataclasses import dataclass
from typing import Literal, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

import audit
from marac.access_levels import VERIFIED, access_level

UNROUTED = "access_denied"


@dataclass(frozen=True)
class NextStep:
    """What a refused person can do to be allowed, shown on the 403 page instead of "your role
    does not allow it" (a representative who has not yet accepted a confidentiality statement)."""

    heading: str
    explanation: str
    link_text: str
    url: str


class Forbidden(PermissionDenied):
    """A 403 already written to the access log."""

    def __init__(self, next_step: NextStep | None = None):
        super().__init__()
        self.next_step = next_step


class NotFound(Http404):
    """A 404 already written to the access log."""


def refuse(
    request: HttpRequest,
    *,
    status: Literal[403, 404],
    event: str,
    purpose: str,
    case_reference: str = "",
    next_step: NextStep | None = None,
) -> NoReturn:
    """Log one denied access event for this request, then raise the 403 (saying what to do next,
    if there is something) or the 404."""
    audit.record(event=event, request=request, case_reference=case_reference, purpose=purpose, outcome="denied")
    if status == 403:
        raise Forbidden(next_step)
    raise NotFound


def forbidden_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 403 page (handler403), with the refusal's next step when it has one."""
    return render(request, "403.html", {"next_step": getattr(exception, "next_step", None)}, status=403)


def log_unrouted(request: HttpRequest, exception: Exception) -> None:
    """The safety net for a 403 or 404 raised without `refuse()` by a page that needs signing in
    with both factors: logged as `access_denied`, naming the page (and the case, if the URL names
    one). Public and sign-in pages are not protected pages and are not logged."""
    if not isinstance(exception, PermissionDenied | Http404) or isinstance(exception, Forbidden | NotFound):
        return
    match = request.resolver_match
    if match is None or access_level(match.func) != VERIFIED or not request.user.is_authenticated:
        return
    status = "403" if isinstance(exception, PermissionDenied) else "404"
    audit.record(
        event=UNROUTED,
        request=request,
        case_reference=str(match.kwargs.get("reference", "")),
        purpose=f"{status} on {match.view_name}",
        outcome="denied",
    )
