"""PDF rendering (DESIGN 4.7, ADR 0010): every page marked and addressed to its recipient, nothing
fetched but our own static files, no personal data in the metadata, and limits that end in a
clear error rather than a hung or runaway process.

pdftotext and pdfinfo (poppler-utils) read the output; without them these tests fail, not skip.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import engines
from weasyprint.urls import URLFetcher

from marac import pdf, pdf_worker
from marac.pdf import STATIC_BASE, PdfRenderError, render_pdf
from marac.pdf_worker import fetch_static, url_fetcher
from tests.conftest import poppler

RECIPIENT = {
    "recipient_name": "Priya Chowdhury-Fairweather",
    "recipient_agency": "Leicestershire Children's Social Care",
    # Formatted by the caller, as pdf/base.html now expects: packs put the day in after hashing.
    "prepared_on": "12 March 2027",
}
RECIPIENT_LINE = "Prepared for Priya Chowdhury-Fairweather, Leicestershire Children's Social Care on 12 March 2027 — do not copy or forward"
VICTIM = "Alice Thornbury"
PROJECT_STATIC = [str(path) for path in django_settings.STATICFILES_DIRS]


def pdf_text_pages(document: bytes, directory: Path) -> list[str]:
    path = directory / "document.pdf"
    path.write_bytes(document)
    return poppler("pdftotext", "-layout", str(path), "-").split("\f")[:-1]  # \f ends every page


def pdf_info(document: bytes, directory: Path) -> dict[str, str]:
    path = directory / "document.pdf"
    path.write_bytes(document)
    lines = poppler("pdfinfo", str(path)).splitlines()
    return dict(re.match(r"([^:]+):\s*(.*)", line).groups() for line in lines)


def flat(text: str) -> str:
    return " ".join(text.split())


def page_html(content: str, *, title: str = "MARAC agenda", **context) -> str:
    """pdf/base.html with a child template's content, as a caller would render it."""
    source = '{% extends "pdf/base.html" %}{% block title %}' + title + "{% endblock %}{% block content %}" + content + "{% endblock %}"
    return engines["django"].from_string(source).render({"pdf_static": STATIC_BASE, **RECIPIENT, **context})


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> tuple[bytes, Path]:
    """A 41-page document: a title page, then 40 cases that each start a new page."""
    cases = "".join(
        f'<section class="case"><h2>Case {number}</h2><p>Victim: {VICTIM}.</p>'
        "<table><thead><tr><th>Agency</th><th>Action</th></tr></thead>"
        "<tbody><tr><td>Police</td><td>Flag the address</td></tr></tbody></table></section>"
        for number in range(1, 41)
    )
    metadata = (
        f'<meta name="author" content="{RECIPIENT["recipient_name"]}">'
        f'<meta name="description" content="{VICTIM}">'
        f'<meta name="keywords" content="{VICTIM}, {RECIPIENT["recipient_name"]}">'
        f'<meta name="generator" content="{VICTIM}">'
    )
    html = page_html(f"{metadata}<h1>MARAC meeting pack</h1>{cases}", title="MARAC meeting pack, 12 March 2027")
    return render_pdf(html), tmp_path_factory.mktemp("pack")


# --- Marking and recipient line ---


def test_every_page_is_marked_addressed_to_the_recipient_and_numbered(pack):
    document, directory = pack
    pages = pdf_text_pages(document, directory)
    assert len(pages) == 41
    for number, text in enumerate(pages, start=1):
        label = f"Page {number} of 41"
        assert "OFFICIAL-SENSITIVE" in text
        assert label in text
        # A long recipient line wraps in the footer, beside the page number.
        assert RECIPIENT_LINE in flat(text.replace(label, " "))


def test_the_recipient_name_is_text_in_the_footer_not_css(tmp_path):
    hostile_name = 'Eve"); } @page { @bottom-left { content: url(http://evil.example/x) } } /*'
    document = render_pdf(page_html("<h1>Agenda</h1>", recipient_name=hostile_name))
    (text,) = pdf_text_pages(document, tmp_path)
    assert text.count('Eve"); } @page {') == 2  # on the page and in the footer


# --- Metadata ---


def test_the_pdf_metadata_holds_the_title_and_no_names(pack):
    document, directory = pack
    info = pdf_info(document, directory)
    xmp = poppler("pdfinfo", "-meta", str(directory / "document.pdf"))
    assert info["Title"] == "MARAC meeting pack, 12 March 2027"
    assert info["Tagged"] == "yes"
    assert "Author" not in info and "Subject" not in info and "Keywords" not in info and "Creator" not in info
    for name in (VICTIM, "Chowdhury", "Priya"):
        assert name not in str(info)
        assert name not in xmp


# --- What the renderer may fetch ---


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/x.css",
        "https://marac.invalid/static/../../../../etc/passwd",
        "https://marac.invalid/static/pdf/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "https://marac.invalid/static//etc/passwd",
        "https://marac.invalid/static/pdf/pack.css?x=1",
        "https://marac.invalid/staticx/pdf/pack.css",
        "data:text/css,body{}",
        "https://marac.invalid/static/pdf/missing.css",
    ],
)
def test_the_fetcher_refuses_anything_but_static_files(url):
    with pytest.raises(ValueError):
        fetch_static(url, PROJECT_STATIC)


def test_the_fetcher_serves_the_pdf_stylesheet():
    body, content_type = fetch_static(f"{STATIC_BASE}pdf/pack.css", PROJECT_STATIC)
    assert body == (Path(django_settings.BASE_DIR) / "static" / "pdf" / "pack.css").read_bytes()
    assert content_type == "text/css"


def test_the_fetcher_refuses_links_out_of_the_static_directory_and_other_file_types(tmp_path):
    static, outside = tmp_path / "static", tmp_path / "outside"
    static.mkdir()
    outside.mkdir()
    (outside / "secret.css").write_text("body { color: red }")
    (static / "linked.css").symlink_to(outside / "secret.css")
    (static / "fonts").symlink_to(outside, target_is_directory=True)
    (static / "settings.py").write_text("SECRET_KEY = 'x'")
    (static / "own.css").write_text("p { color: black }")
    for name in ("linked.css", "fonts/secret.css", "settings.py"):
        with pytest.raises(ValueError):
            fetch_static(f"{STATIC_BASE}{name}", [str(static)])
    assert fetch_static(f"{STATIC_BASE}own.css", [str(static)]) == (b"p { color: black }", "text/css")


class SpyFetcher(URLFetcher):
    """Records every URL WeasyPrint asks for, and whether the real fetcher served or refused it."""

    def __init__(self, real: URLFetcher):
        super().__init__()
        self.real = real
        self.seen: dict[str, str] = {}

    def fetch(self, url, headers=None):
        try:
            response = self.real.fetch(url)
        except ValueError:
            self.seen[url] = "refused"
            raise
        self.seen[url] = "served"
        return response


HOSTILE_MARKUP = (
    '<img src="file:///etc/passwd" alt="">'
    '<link rel="stylesheet" href="http://169.254.169.254/">'
    '<style>@import url("http://169.254.169.254/x.css");</style>'
    "<p>Agenda</p>"
)


def test_markup_in_a_template_cannot_fetch_files_or_urls(monkeypatch):
    spy = SpyFetcher(url_fetcher(PROJECT_STATIC))
    monkeypatch.setattr(pdf_worker, "url_fetcher", lambda static_dirs: spy)
    pdf_worker.render(page_html(HOSTILE_MARKUP), PROJECT_STATIC)
    assert spy.seen == {
        f"{STATIC_BASE}pdf/pack.css": "served",
        "file:///etc/passwd": "refused",
        "http://169.254.169.254/": "refused",
        "http://169.254.169.254/x.css": "refused",
    }


def test_markup_in_a_template_renders_without_the_files_it_names(tmp_path):
    pages = pdf_text_pages(render_pdf(page_html(HOSTILE_MARKUP)), tmp_path)
    assert "Agenda" in pages[0]
    assert "root:x:0" not in "".join(pages)


USER_TEXT = [
    '</p><link rel="stylesheet" href="http://169.254.169.254/">',
    "<style>@import url(http://evil.example/)</style>",
]


def test_user_text_is_printed_as_text_not_markup(tmp_path, monkeypatch):
    html = page_html("<p>{{ first }}</p><p>{{ second }}</p>", first=USER_TEXT[0], second=USER_TEXT[1])
    (text,) = pdf_text_pages(render_pdf(html), tmp_path)
    for value in USER_TEXT:
        assert value in flat(text)
    spy = SpyFetcher(url_fetcher(PROJECT_STATIC))
    monkeypatch.setattr(pdf_worker, "url_fetcher", lambda static_dirs: spy)
    pdf_worker.render(html, PROJECT_STATIC)
    assert spy.seen == {f"{STATIC_BASE}pdf/pack.css": "served"}


def test_the_child_may_read_the_static_directories_that_exist(settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path / "static", tmp_path / "missing"]
    settings.STATIC_ROOT = str(tmp_path / "collected")
    (tmp_path / "static").mkdir()
    (tmp_path / "collected").mkdir()
    assert pdf.static_dirs() == [str(tmp_path / "static"), str(tmp_path / "collected")]


# --- Limits ---

LONG_TABLE = "<table>" + "<tr><td>Row</td><td>Police</td></tr>" * 20_000 + "</table>"


def test_a_document_that_takes_too_long_is_stopped(caplog):
    started = time.monotonic()
    with pytest.raises(PdfRenderError, match=r"took too long to prepare \(over 2 seconds\)"):
        render_pdf(page_html(f"<p>{VICTIM}</p>{LONG_TABLE}"), timeout_seconds=2)
    assert time.monotonic() - started < 15
    assert "pdf_render_failed reason=timeout" in caplog.text
    assert VICTIM not in caplog.text


def test_a_document_that_needs_too_much_memory_is_stopped(settings, caplog):
    settings.MARAC_PDF_MEMORY_MB = 150
    timeout = 60
    started = time.monotonic()
    with pytest.raises(PdfRenderError, match=r"needed more memory than allowed \(150 MB\)"):
        render_pdf(page_html(f"<p>{VICTIM}</p>{LONG_TABLE}"), timeout_seconds=timeout)
    # The memory limit stopped it, not the timeout. How soon depends on how busy the machine is
    # (30 seconds with both cores taken by other work), so the bound is the timeout.
    assert time.monotonic() - started < timeout
    assert re.search(r"pdf_render_failed reason=exit_code exit_code=-?\d+ stderr_bytes=\d+", caplog.text)
    assert VICTIM not in caplog.text


def running(pid: int) -> bool:
    """Whether a process is still running: a killed orphan stays a zombie until init reaps it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_a_timeout_stops_whatever_the_worker_started(monkeypatch, tmp_path):
    # As the linker runs of a library lookup did: a program the worker started, writing in the
    # worker's home. Killing the worker alone left it running, and its files made the removal of
    # that home fail with an OSError in place of the clear timeout.
    pid_file = tmp_path / "started.pid"
    writer = """
import time
while True:
    try:
        open(str(time.monotonic_ns()), "w").close()
    except OSError:
        pass
    time.sleep(0.001)
"""
    worker = (
        "import subprocess, sys, time;"
        f"started = subprocess.Popen([sys.executable, '-c', {writer!r}]);"
        f"open({str(pid_file)!r}, 'w').write(str(started.pid));"
        "time.sleep(120)"
    )
    monkeypatch.setattr(pdf, "worker_command", lambda **limits: [sys.executable, "-c", worker])
    with pytest.raises(PdfRenderError, match="took too long"):
        render_pdf("<p>x</p>", timeout_seconds=5)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not running(pid)
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)  # not left behind by a failing run


RECORD_PROGRAMS_RUN = """
import subprocess, sys
ran, start = set(), subprocess.Popen.__init__
def record(self, args, *more, **options):
    start(self, args, *more, **options)  # raises if the program could not be run
    ran.add(args[0])
subprocess.Popen.__init__ = record
import marac.pdf_worker as worker
worker.render("<p>x</p>", [])
print(" ".join(sorted(ran)))
"""


def test_the_worker_runs_no_compiler_or_linker(tmp_path):
    # WeasyPrint's library lookup (cffi, then ctypes.util.find_library) links test programs with
    # gcc and ld when it can find them: dozens of runs per document. The child's PATH names no
    # directory, which leaves it only `ldconfig -p`, run by its full path.
    environment = pdf.child_environment(str(tmp_path))
    command = [sys.executable, "-c", RECORD_PROGRAMS_RUN]
    result = subprocess.run(command, env=environment, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert set(result.stdout.split()) <= {"/sbin/ldconfig"}


def test_the_cpu_limit_stops_a_worker_even_without_the_timeout(monkeypatch):
    # The backstop for a child whose parent was killed before its timeout could fire.
    real_command = pdf.worker_command
    monkeypatch.setattr(pdf, "worker_command", lambda **limits: real_command(**{**limits, "cpu_seconds": 1}))
    with pytest.raises(PdfRenderError, match="took too long to prepare"):
        render_pdf(page_html(LONG_TABLE), timeout_seconds=60)


@pytest.mark.parametrize(
    "content",
    [
        '<div style="width: 1e30px; font-size: 1e9px">Huge</div>',
        '<p style="margin-left: -1e30px; line-height: 1e20">Far away</p>',
        '<div style="columns: 100000; column-gap: 1e20px">Columns</div>',
        "<div>" * 5_000 + "Deep" + "</div>" * 5_000,
    ],
)
def test_absurd_css_values_render_or_fail_cleanly(content):
    started = time.monotonic()
    try:
        document = render_pdf(page_html(content), timeout_seconds=20)
    except PdfRenderError as error:
        assert str(error).startswith("The PDF ")
    else:
        assert document.startswith(b"%PDF-")
    assert time.monotonic() - started < 40


# --- The child process ---


def test_the_child_gets_none_of_the_parents_secrets(monkeypatch):
    for name in ("MARAC_KEYRING", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.setenv(name, "do-not-pass-on")
    # The real render_pdf and subprocess, with a child that prints its environment as its "PDF".
    dump = "import json, os, sys; sys.stdout.write('%PDF-' + json.dumps(dict(os.environ)))"
    monkeypatch.setattr(pdf, "worker_command", lambda **limits: [sys.executable, "-c", dump])
    environment = json.loads(render_pdf("<p>x</p>").removeprefix(b"%PDF-"))
    assert set(environment) == {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "PYTHONPATH"}
    assert "do-not-pass-on" not in json.dumps(environment)


def test_the_worker_never_imports_django(tmp_path):
    check = (
        "import sys; import marac.pdf_worker as worker; worker.render('<p>x</p>', []);"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))"
    )
    environment = pdf.child_environment(str(tmp_path))
    result = subprocess.run([sys.executable, "-c", check], env=environment, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_worker_command_carries_the_limits_and_static_directories(settings):
    command = pdf.worker_command(memory_mb=512, cpu_seconds=9)
    assert command[:3] == [sys.executable, "-m", "marac.pdf_worker"]
    assert "--memory-mb=512" in command and "--cpu-seconds=9" in command
    assert command.count("--static-dir") == len(pdf.static_dirs()) > 0
    assert os.path.join(settings.BASE_DIR, "static") in command


def test_a_busy_renderer_says_so_rather_than_piling_up(monkeypatch):
    monkeypatch.setattr(pdf, "RENDER_QUEUE_SECONDS", 0.1)
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(pdf, "_RENDER_SLOTS", slots)
    slots.acquire()
    with pytest.raises(pdf.PdfRenderError, match="Too many documents"):
        pdf.render_pdf("<p>x</p>")
    slots.release()
