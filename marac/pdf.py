"""PDFs rendered in a separate, limited process (DESIGN 4.7, ADR 0010).

Callers render a template that extends `pdf/base.html`, with `pdf_static` (STATIC_BASE) in its
context for static links, and pass the HTML to render_pdf. The HTML goes on stdin to
`marac.pdf_worker` in a child process that imports no Django and gets none of this
process's environment, so none of its secrets; it runs under memory and CPU limits and a
wall-clock timeout. Anything that goes wrong becomes a PdfRenderError whose message can be shown
to the person who asked for the PDF.

The document's `<title>` becomes the PDF's Title, which anyone holding the file can read without
opening it: it must say what the document is ("MARAC agenda, 12 March 2027"), never who is in it.

Only sizes, durations and exit codes are logged. The child's stderr is logged only as its length:
WeasyPrint's warnings can quote the document.
"""

import contextlib
import logging
import math
import os
import signal

# Runs only our own worker module, with no shell
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from marac.models import Agency
from marac.pdf_worker import EXIT_OUT_OF_MEMORY, STATIC_BASE
from marac.viewer import Viewer

__all__ = ["STATIC_BASE", "PdfRenderError", "render_pdf"]

logger = logging.getLogger("marac.pdf")

# The directory holding the `marac` package: the child needs it to import the worker.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ADVICE = "Try again later; if it happens again, tell your system administrator."
# A MemoryError caught by the worker; GLib's abort (SIGTRAP) when Pango cannot get memory or a
# thread under the limit; SIGKILL from the kernel's out-of-memory killer.
OUT_OF_MEMORY_EXITS = (EXIT_OUT_OF_MEMORY, -signal.SIGTRAP, -signal.SIGKILL)


RENDER_QUEUE_SECONDS = 10
_RENDER_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


class PdfRenderError(Exception):
    """str(e) is a clear message fit to show a user (no stack, no personal data)."""


def recipient_line(viewer: Viewer, area_id: int, attended_for: Agency | None = None) -> dict[str, str]:
    """Who a PDF is prepared for, as the recipient line on every page prints it: their name, and
    the agency they attended the meeting for, else their first in the area."""
    agency = attended_for or viewer.agency_in(area_id)
    return {"recipient_name": viewer.user.display_name, "recipient_agency": agency.name if agency else ""}


def render_pdf(html: str, *, timeout_seconds: float | None = None, memory_mb: int | None = None) -> bytes:
    """Render HTML to PDF bytes in a child process; PdfRenderError if that fails or takes too long.

    The limits default to the settings MARAC_PDF_TIMEOUT_SECONDS and MARAC_PDF_MEMORY_MB.
    """
    timeout = settings.MARAC_PDF_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    memory = settings.MARAC_PDF_MEMORY_MB if memory_mb is None else memory_mb
    source = html.encode("utf-8")
    started = time.monotonic()
    # At most a few renders at once in this process, so many downloads (or many tabs) cannot
    # take every core and the memory limit many times over; the rest are told to come back.
    if not _RENDER_SLOTS.acquire(timeout=RENDER_QUEUE_SECONDS):
        _log_failure("busy", None, 0, len(source), started)
        raise PdfRenderError(f"Too many documents are being prepared right now. Wait a minute and try again. {ADVICE}")
    try:
        result = _run_worker(source, timeout=timeout, memory_mb=memory)
    except subprocess.TimeoutExpired:
        _log_failure("timeout", None, 0, len(source), started)
        raise PdfRenderError(_too_long(timeout)) from None  # the exception holds the child's output
    finally:
        _RENDER_SLOTS.release()
    if message := _failure(result, timeout=timeout, memory_mb=memory):
        reason = "no_pdf" if result.returncode == 0 else "exit_code"
        _log_failure(reason, result.returncode, len(result.stderr), len(source), started)
        raise PdfRenderError(message)
    logger.info(
        "pdf_rendered html_bytes=%d pdf_bytes=%d seconds=%.2f",
        len(source),
        len(result.stdout),
        time.monotonic() - started,
    )
    return result.stdout


def _run_worker(source: bytes, *, timeout: float, memory_mb: int) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="marac-pdf-") as home:
        # Our own interpreter and worker module, fixed arguments, no shell. A session of its own
        # (setsid in the forked child, safe in a threaded server, unlike a preexec_fn) makes the
        # worker and anything it starts one process group, which a timeout kills as a whole.
        with subprocess.Popen(  # noqa: S603  # nosec B603
            worker_command(memory_mb=memory_mb, cpu_seconds=math.ceil(timeout) + 1),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environment(home),
            cwd=home,  # empty: nothing there for the child to import by accident
            start_new_session=True,
        ) as child:
            try:
                stdout, stderr = child.communicate(source, timeout=timeout)
            except subprocess.TimeoutExpired:
                # The group, not just the worker: a program the worker had started would
                # outlive it, go on writing in `home` and make its removal fail with an OSError
                # instead of this clear timeout. The worker is not reaped yet, so its group id
                # cannot have been reused.
                with contextlib.suppress(ProcessLookupError):  # the group had already gone
                    os.killpg(child.pid, signal.SIGKILL)
                child.communicate()
                raise
        return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def worker_command(*, memory_mb: int, cpu_seconds: int) -> list[str]:
    static_args = [arg for directory in static_dirs() for arg in ("--static-dir", directory)]
    return [
        sys.executable,
        "-m",
        "marac.pdf_worker",
        f"--memory-mb={memory_mb}",
        f"--cpu-seconds={cpu_seconds}",
        *static_args,
    ]


def static_dirs() -> list[str]:
    """The directories the child may read stylesheets, images and fonts from (those that exist)."""
    candidates = [*settings.STATICFILES_DIRS, settings.STATIC_ROOT]
    return [os.fspath(path) for path in candidates if path and os.path.isdir(path)]


def child_environment(home: str) -> dict[str, str]:
    """A fresh environment, not a copy of ours: ours holds the keyring, SECRET_KEY and DATABASE_URL.

    The worker runs no programs, so its PATH leads to none. WeasyPrint tries several names for
    each of its libraries, and for a name that is not a file cffi asks ctypes.util.find_library,
    which runs `ldconfig -p` (by its full path) and then, if gcc and ld are on the PATH, links
    test programs with them: about 30 compiler and linker runs each time a worker started, a
    quarter of a small document's CPU time (0.67 s against 0.50 s), and programs that a timed-out
    worker left running.
    """
    return {
        # Names no directory. Not absent: then subprocess and shutil.which search a default one.
        # Not empty: an empty entry means the current directory.
        "PATH": os.devnull,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,  # fontconfig may keep a cache here
        "TMPDIR": home,  # WeasyPrint writes fetched fonts to temporary files
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def _failure(result: subprocess.CompletedProcess, *, timeout: float, memory_mb: int) -> str | None:
    """The message for a failed run, or None if the child wrote a PDF."""
    if result.returncode == -signal.SIGXCPU:
        return _too_long(timeout)
    if result.returncode in OUT_OF_MEMORY_EXITS:
        return f"The PDF needed more memory than allowed ({memory_mb} MB) and was stopped. {ADVICE}"
    if result.returncode != 0 or not result.stdout.startswith(b"%PDF-"):
        return f"The PDF could not be prepared. {ADVICE}"
    return None


def _too_long(timeout: float) -> str:
    return f"The PDF took too long to prepare (over {timeout:g} seconds) and was stopped. {ADVICE}"


def _log_failure(reason: str, exit_code: int | None, stderr_bytes: int, html_bytes: int, started: float) -> None:
    logger.warning(
        "pdf_render_failed reason=%s exit_code=%s stderr_bytes=%d html_bytes=%d seconds=%.2f",
        reason,
        exit_code,
        stderr_bytes,
        html_bytes,
        time.monotonic() - started,
    )
