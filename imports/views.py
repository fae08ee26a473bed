"""The coordinator's import: upload a file, read the check (a report: counts and every error),
then confirm or cancel (issue 19, ADR 0029). Only coordinators, of the area chosen; everyone else
gets a logged refusal. What was found in a wrong cell is shown on the check page to the person
who uploaded the file, and nowhere else."""

import re
from pathlib import Path
from uuid import UUID

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import AccessEvent
from imports import access
from imports.forms import ConfirmForm, UploadForm
from imports.pending import pending_create, pending_forget, pending_sheet
from imports.reading import MAX_BYTES, FileProblem, sheet_read
from imports.services import ImportReport, cases_import
from imports.uploads import LimitedMemoryUploadHandler
from marac.security.crypto import IntegrityFailure

TEMPLATE_FILE = "cases-template.csv"
# An id as the form sends it: ASCII digits, few enough for int() (thousands of digits raise).
AREA_ID = re.compile(r"[0-9]{1,18}")
TEMPLATE_PATH = Path(__file__).resolve().parent / TEMPLATE_FILE


@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    """The documented template with two example rows of made-up people."""
    access.refuse_unless_importer(request, purpose="case import template")
    return FileResponse(TEMPLATE_PATH.open("rb"), as_attachment=True, filename=TEMPLATE_FILE, content_type="text/csv; charset=utf-8")


@csrf_exempt  # the CSRF check runs in _upload, once the upload handler is in place
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    # Before anything reads the body: the file is kept in memory only, and refused past the limit.
    handler = LimitedMemoryUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload(request, handler)


@csrf_protect
def _upload(request: HttpRequest, handler: LimitedMemoryUploadHandler) -> HttpResponse:
    areas = access.refuse_unless_importer(request, purpose="case import")
    if request.method != "POST":
        return render(request, "imports/upload.html", {"form": UploadForm(areas=areas)})
    if AREA_ID.fullmatch(request.POST.get("area", "")):  # another area's id, tampered in: a logged 403, not a form error
        access.area_for_import(request, int(request.POST["area"]), purpose="case import")
    form = UploadForm(request.POST, request.FILES, areas=areas)
    if handler.too_large:
        form.add_error("file", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files")
    if not form.is_valid():
        return render(request, "imports/upload.html", {"form": form}, status=400)
    area = next(area for area in areas if area.pk == form.cleaned_data["area"])
    try:
        sheet = sheet_read(form.cleaned_data["file"].read(), filename=form.cleaned_data["file"].name)
        report = cases_import(sheet=sheet, area=area, by=request.user, dry_run=True, good_rows_only=False, request=request, via="web")
    except FileProblem as problem:
        form.add_error("file", problem.message)
        return render(request, "imports/upload.html", {"form": form, "found": problem.found}, status=400)
    good_rows_only = form.cleaned_data["good_rows_only"]
    pending = pending_create(sheet=sheet, area=area, by=request.user, good_rows_only=good_rows_only)
    return _check_page(request, report, pending.uuid, ConfirmForm(initial={"good_rows_only": good_rows_only}))


@require_POST
def confirm(request: HttpRequest, pending: UUID) -> HttpResponse:
    held = access.pending_get_for_user(request, pending, purpose="confirm case import")
    form = ConfirmForm(request.POST)
    form.is_valid()  # a single optional checkbox: always valid
    try:
        sheet = pending_sheet(held)
    except IntegrityFailure:
        pending_forget(pending=held)
        audit.record(
            event="case_import_unreadable",
            request=request,
            purpose="a checked import failed to open",
            outcome=AccessEvent.Outcome.INTEGRITY_FAILURE,
        )
        messages.error(request, "The checked file could not be read back. Upload it again.")
        return redirect("imports:cases-import")
    good_rows_only = form.cleaned_data.get("good_rows_only", False)
    report = cases_import(sheet=sheet, area=held.area, by=request.user, dry_run=False, good_rows_only=good_rows_only, request=request)
    if report.blocked:
        form.add_error(
            "good_rows_only",
            "The file has errors, so nothing was imported. Correct them and upload it again, or import the rows without errors",
        )
        return _check_page(request, report, held.uuid, form, status=400)
    pending_forget(pending=held)
    messages.success(request, f"{len(report.imported)} cases imported into {report.area_code}. {report.counts().capitalize()}.")
    return redirect("case-list")


@require_POST
def cancel(request: HttpRequest, pending: UUID) -> HttpResponse:
    held = access.pending_get_for_user(request, pending, purpose="cancel case import")
    pending_forget(pending=held)
    messages.success(request, "The import was cancelled. Nothing was imported and the checked file was deleted.")
    return redirect("imports:cases-import")


def _check_page(request: HttpRequest, report: ImportReport, pending, form: ConfirmForm, status: int = 200) -> HttpResponse:
    context = {"report": report, "pending": pending, "form": form, "would_import": len(report.ready)}
    return render(request, "imports/check.html", context, status=status)
