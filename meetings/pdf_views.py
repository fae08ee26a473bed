"""Downloading a meeting's PDFs. Nothing is emailed (DESIGN 2.4): recipients sign in, confirm it
is them, and download a copy prepared for them alone; every download is an access event. The copy
is the one a worker prepared ahead (stored_packs.py) while it still says what the records say;
otherwise it is rendered now, and kept for next time."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

import audit
from marac.pdf import PdfRenderError
from marac.reauth import reauthentication_redirect, recently_reauthenticated
from marac.refusals import refuse
from meetings import stored_packs
from meetings.access import meeting_get_for_user, refuse_meeting_unless, refuse_until_statement_accepted
from meetings.packs import KINDS, may_have, pack_for


@require_GET
def meeting_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        # Not the name asked for: it is whatever was typed into the address.
        refuse(request, status=404, event="pdf_download_denied", purpose=f"download an unknown document (meeting {pk})")
    access = meeting_get_for_user(request, pk, purpose=f"download {kind}")
    refuse_until_statement_accepted(request, access, event="pdf_download_denied", purpose=f"download {kind}")
    refuse_meeting_unless(may_have(access, kind), request, access, event="pdf_download_denied", purpose=f"download {kind}")
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    pack = pack_for(access, kind)
    pdf = stored_packs.stored_pdf(access, kind, pack)
    prepared = "prepared in advance" if pdf is not None else "rendered on request"
    if pdf is None:
        try:
            pdf = pack.pdf()
        except PdfRenderError as error:
            audit.record(event="pdf_render_failed", request=request, purpose=f"{kind} of meeting {pk}")
            return render(
                request, "components/pdf_failed.html", {"message": str(error), "back_url": reverse("meeting-detail", args=[pk])}, status=503
            )
        stored_packs.keep(access, kind, pack, pdf)  # the next download is instant
    audit.record(event="pdf_download", request=request, purpose=f"{kind} of meeting {pk} ({prepared})")
    audit.record_case_reads(request=request, reads=pack.reads, purpose=f"pdf {kind} of meeting {pk}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response
