"""Coordinator meeting packs of 25 and 100 cases (everything unredacted, research from three
agencies on every case), rendered through render_pdf as a download is (issue 15 item 8).

For each pack: its render seconds and page count (pdfinfo), and two ratios:
- to a plain document of the same page count, also through render_pdf: the pack's own words as
  paragraphs, shared evenly between as many pages, under the same pdf/base.html and pack.css,
  with no tables. What the pack's layout and styles cost (target: 1.5x at most).
- to WeasyPrint rendering the same pack HTML in this process: what the limited child process
  costs (target: 1.5x at most).
The three renders alternate; a ratio is the median of each repeat's ratio, so the shared
machine's noise falls on both sides of it alike.

BENCH_PACK_CASES: comma-separated pack sizes (default "25,100"); BENCH_PACK_REPEATS (default 5).
"""

import logging
import os
import resource
import statistics
import subprocess
import tempfile
import time
from datetime import date
from html import unescape
from pathlib import Path

# Setting up the cases would otherwise render every recipient's packs in this process at each
# change (tasks run in-process in test mode): queue them in memory instead, where none runs.
os.environ.setdefault("MARAC_TASKS_IN_PROCESS", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")

from _harness import report, test_database  # configures Django on import
from _meeting import meeting_with_cases
from django.template import engines
from django.utils.html import strip_tags

from marac.pdf import render_pdf, static_dirs
from marac.pdf_worker import STATIC_BASE, render
from marac.viewer import Viewer
from meetings.access import meeting_access_for
from meetings.packs import pack_for

test_database()
logging.getLogger("fontTools").setLevel(logging.WARNING)  # in-process subsetting logs every table at INFO
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # and layout every page

SIZES = [int(n) for n in os.environ.get("BENCH_PACK_CASES", "25,100").split(",")]
REPEATS = int(os.environ.get("BENCH_PACK_REPEATS", "5"))
TARGET = 1.5


def pack_html(cases: int) -> str:
    """The coordinator's pack for a meeting of its own area with this many cases."""
    bench = meeting_with_cases(cases)
    return pack_for(meeting_access_for(Viewer.of(bench.coordinator), bench.meeting.pk), "pack").html


PLAIN = engines["django"].from_string(
    '{% extends "pdf/base.html" %}{% block title %}Plain document{% endblock %}{% block content %}'
    '{% for page in pages %}<section{% if not forloop.first %} class="case"{% endif %}>'
    "{% for text in page %}<p>{{ text }}</p>{% endfor %}</section>{% endfor %}"
    "{% endblock %}"
)
PARAGRAPH_WORDS = 60


def plain_like(html: str, pages: int) -> str:
    """A plain document of this many pages holding the same text as the pack: its words shared
    evenly between the pages (each starts a new one, as a pack's cases do, under the same
    pdf/base.html and pack.css), as paragraphs, with no tables."""
    words = unescape(strip_tags(html.split("<body>", 1)[1])).split()
    chunks = [words[len(words) * page // pages : len(words) * (page + 1) // pages] for page in range(pages)]
    paragraphs = [[" ".join(chunk[i : i + PARAGRAPH_WORDS]) for i in range(0, len(chunk), PARAGRAPH_WORDS)] for chunk in chunks]
    recipient = {"recipient_name": "Bench Coordinator", "recipient_agency": "Bench agency", "prepared_on": f"{date.today():%-d %B %Y}"}
    return PLAIN.render({"pdf_static": STATIC_BASE, **recipient, "pages": paragraphs})


def pdf_pages(pdf: bytes) -> int:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def timed(function) -> tuple[float, bytes]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


dirs = static_dirs()
packs = {cases: pack_html(cases) for cases in SIZES}
pages = {cases: pdf_pages(render_pdf(html)) for cases, html in packs.items()}
plains = {cases: plain_like(packs[cases], pages[cases]) for cases in SIZES}
plain_pages = {cases: pdf_pages(render_pdf(html)) for cases, html in plains.items()}
times = {(cases, kind): [] for cases in SIZES for kind in ("pack", "plain", "in_process")}
sizes = {}
for _ in range(REPEATS):
    for cases in SIZES:
        seconds, pdf = timed(lambda cases=cases: render_pdf(packs[cases]))
        times[cases, "pack"].append(seconds)
        sizes[cases] = len(pdf)
        times[cases, "plain"].append(timed(lambda cases=cases: render_pdf(plains[cases]))[0])
        times[cases, "in_process"].append(timed(lambda cases=cases: render(packs[cases], dirs))[0])


def ratio(cases: int, baseline: str) -> float:
    """The median of each repeat's ratio: renders next to each other share the machine's load,
    which on a shared machine changes more between repeats than within one."""
    return statistics.median(pack / base for pack, base in zip(times[cases, "pack"], times[cases, baseline], strict=True))


for cases in SIZES:
    pack_s, plain_s = statistics.median(times[cases, "pack"]), statistics.median(times[cases, "plain"])
    to_plain, to_in_process = ratio(cases, "plain"), ratio(cases, "in_process")
    report(f"{cases}-case pack, render_pdf", pack_s, "s", "(reported)", None)
    report(f"{cases}-case pack, pages", pages[cases], "pages", "(reported)", None)
    report(f"{cases}-case pack, plain document of {plain_pages[cases]} pages", plain_s, "s", "(baseline)", None)
    report(f"{cases}-case pack / plain document, same pages", to_plain, "x", f"<= {TARGET}x", to_plain <= TARGET)
    report(f"{cases}-case pack, child process / in-process", to_in_process, "x", f"<= {TARGET}x", to_in_process <= TARGET)
    print(f"({cases}-case pack: {len(packs[cases]) // 1024} KiB of HTML, {sizes[cases] // 1024} KiB of PDF)")

limit_mib = int(os.environ.get("MARAC_PDF_MEMORY_MB", "1536"))
child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
report("pack child process peak memory", child_peak_mib, "MiB", f"< {limit_mib} MiB limit", child_peak_mib < limit_mib)
