"""The child process that turns one HTML document into a PDF (DESIGN 4.7, ADR 0010).

Run only by `marac.pdf.render_pdf`, as

    python -m marac.pdf_worker --memory-mb N --cpu-seconds N --static-dir DIR ...

with the HTML on stdin and the PDF on stdout. It never imports Django: it has no settings, no
database and no secrets, and the parent gives it an environment with none in it.

Limits: before reading any input it caps its own address space and CPU time and turns off core
dumps (a core file would hold the document). They are set here rather than in a `preexec_fn`
because a `preexec_fn` can deadlock a threaded parent such as a threaded WSGI server. The parent
also enforces a wall-clock timeout; the CPU limit still stops a child whose parent was killed.

Fetching: WeasyPrint asks its URL fetcher for every stylesheet, `@import`, image, font,
attachment and `data:` URL. The fetcher here serves only files with an allowed extension that
lie inside one of the static directories, addressed under STATIC_BASE; anything else raises
ValueError and WeasyPrint skips the resource. The documents are built from our own templates,
so this stops injected markup from reaching the file system or the network.

Accessibility: rendered as PDF/UA-1 (`pdf_variant="pdf/ua-1"`), which in WeasyPrint 70.0 means
tagged output (structure tree with headings, paragraphs and table headers; /Lang; /Title) as
PDF 1.7 with the PDF/UA identifier in the XMP metadata. Checked on `templates/pdf/base.html`: no
errors or warnings, the same text, margin boxes and page counters as untagged output. The margin
boxes are left out of the structure tree (page furniture), so assistive technology reads the
recipient line once, where it stands at the top of page 1. On a 76-page pack it took about 4.6 s
rather than 4.0 s, and the file was twice the size (270 KB rather than 140 KB). No PDF/UA
validator was run: WeasyPrint does not promise full conformance.

Metadata: only the title (from `<title>`, which callers must keep free of names and other
personal data) and the language reach the PDF. Authors, description, keywords, generator,
dates and attachments named in the HTML are dropped.
"""

import argparse
import os
import resource
import sys
from collections.abc import Sequence
from urllib.parse import unquote

# Never resolvable (RFC 6761), so a URL under it can only ever mean "one of our static files".
STATIC_BASE = "https://marac.invalid/static/"
PDF_VARIANT = "pdf/ua-1"
CONTENT_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}
EXIT_OUT_OF_MEMORY = 3
EXIT_FAILED = 4


def fetch_static(url: str, static_dirs: Sequence[str]) -> tuple[bytes, str]:
    """Return the bytes and content type of an allowed static file; ValueError for anything else."""
    path = static_path(url, static_dirs)
    with open(path, "rb") as file:
        return file.read(), CONTENT_TYPES[os.path.splitext(path)[1]]


def static_path(url: str, static_dirs: Sequence[str]) -> str:
    """The real path of the file a URL names, if it is one the PDF may use.

    The containment check runs on the path after unquoting and resolving symlinks, so `..`,
    `%2e%2e`, absolute paths and links pointing out of a static directory all fail it.
    """
    if not url.startswith(STATIC_BASE):
        raise ValueError("Only the service's own static files may be used in a PDF.")
    relative = url.removeprefix(STATIC_BASE)
    if "?" in relative or "#" in relative:
        raise ValueError("Static file URLs in a PDF take no query or fragment.")
    relative = unquote(relative)
    for directory in static_dirs:
        root = os.path.realpath(directory)
        path = os.path.realpath(os.path.join(root, relative))
        inside = os.path.commonpath([root, path]) == root
        if inside and os.path.isfile(path) and os.path.splitext(path)[1] in CONTENT_TYPES:
            return path
    raise ValueError("Not a static file a PDF may use.")


def url_fetcher(static_dirs: Sequence[str]):
    """WeasyPrint's URL fetcher, limited to fetch_static.

    WeasyPrint 70 needs a URLFetcher subclass, not a plain function: its error path reads an
    attribute of the fetcher. WeasyPrint is imported here rather than at the top so that the
    Django process, which imports this module for STATIC_BASE, never loads Pango.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFileFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            body, content_type = fetch_static(url, static_dirs)
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticFileFetcher(allowed_protocols=(), allow_redirects=False)


def render(html: str, static_dirs: Sequence[str]) -> bytes:
    """Lay out the HTML and write the PDF, keeping only the title and language as metadata."""
    from weasyprint import HTML
    from weasyprint.pdf.metadata import DocumentMetadata

    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=url_fetcher(static_dirs)).render(pdf_variant=PDF_VARIANT)
    document.metadata = DocumentMetadata(title=document.metadata.title, lang=document.metadata.lang)
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def limit_resources(*, memory_mb: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # The soft limit sends SIGXCPU, which the parent reports as taking too long.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marac.pdf_worker")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--static-dir", action="append", default=[])
    args = parser.parse_args(argv)
    limit_resources(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
    try:
        pdf = render(sys.stdin.buffer.read().decode("utf-8"), args.static_dir)
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)  # no clean-up: it could need memory there is none of
    except Exception as error:
        # The name only: a message or traceback could quote the document.
        print(f"PDF rendering failed: {type(error).__name__}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
