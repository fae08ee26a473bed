"""The web process as deployed: gunicorn with gunicorn.conf.py and production settings on
PostgreSQL, driven by wrk (16 connections, 20 seconds per page) (issue 15).

Pages, each measured in the same run as /healthz (one query, no session, no template):
- the case list and one case page, signed in as the demo coordinator with both factors. What they
  cost is what a person costs: the session checks on every request, the viewer, decryption and
  the access event each case view writes to the hash-chained log;
- /healthz again with DATABASE_CONN_MAX_AGE=0, a new database connection per request, against
  the production default of 60 seconds.
For each: requests a second, p50 and p99 latency, and the ratios to /healthz. /healthz is run
before and after the pages and the baseline is their mean, so drift on the shared machine shows.

Needs wrk and a PostgreSQL server (BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432),
where it creates and drops a database of its own; exits with 77 (skipped) when either is missing.
The demo is seeded with MARAC_ENV=dev (seed_demo refuses production), then served under
MARAC_ENV=production with throwaway secrets. BENCH_WEB_SECONDS (default 20),
BENCH_WEB_CONNECTIONS (default 16).
"""

import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from _harness import report

from marac.security.keyring import new_keyring_json
from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
SECONDS = int(os.environ.get("BENCH_WEB_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_WEB_CONNECTIONS", "16"))
PASSWORD = "marac-demo-2026"  # the demo's documented password (demo/management/commands/seed_demo.py)  # noqa: S105
SKIPPED = 77


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def prerequisites_missing() -> str | None:
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian: apt-get install wrk)"
    try:
        postgres("SELECT 1")
    except Exception as error:  # any failure means the same: no server to use
        return f"no PostgreSQL server at {SERVER} ({type(error).__name__})"
    return None


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=900
    ).stdout


@contextmanager
def gunicorn(env: dict[str, str], log_dir: Path, name: str):
    """gunicorn with the repository's gunicorn.conf.py; yields (port, access log path). Stopped by
    its PID whatever happens."""
    port = free_port()
    access = log_dir / f"{name}-access.log"
    with access.open("w") as stdout, (log_dir / f"{name}-error.log").open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "marac.wsgi"],
            cwd=ROOT,
            env={**env, "MARAC_WEB_BIND": f"127.0.0.1:{port}"},
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while Client(port).get("/healthz")[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {(log_dir / f'{name}-error.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield port, access
    except BaseException:
        print((log_dir / f"{name}-error.log").read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        stop(server, seconds=60)


class Client:
    """Just enough of a browser to sign in: cookies (the __Host- ones are Secure, which a real
    browser would only send over HTTPS; the server does not know the difference) and forms."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
        except OSError:
            return 0, "", ""
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        connection.close()
        return response.status, response.headers.get("Location", ""), text

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        status, _, page = self.get(path)
        assert status == 200, f"GET {path}: {status}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **fields})


def sign_in(port: int, username: str, dev_env: dict[str, str]) -> Client:
    client = Client(port)
    status, location, _ = client.post_form("/sign-in/", {"username": username, "password": PASSWORD})
    assert (status, location) == (302, "/sign-in/security-code/"), f"password step: {status} {location}"
    code = manage(dev_env, "demo_totp", username).strip()[-6:]
    status, location, _ = client.post_form("/sign-in/security-code/", {"code": code})
    assert (status, location) == (302, "/"), f"security code step: {status} {location}"
    return client


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk(port: int, path: str, cookie: str, seconds: int) -> dict[str, float]:
    """Requests a second and p50/p99 in milliseconds. wrk's own timeout is raised so that a slow
    response is counted in the latencies rather than dropped as a timeout."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "60s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True).stdout
    if "Socket errors" in output or "Non-2xx" in output:
        raise RuntimeError(f"wrk saw errors on {path}:\n{output}")
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percent in (50, 99):
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE).groups()
        figures[f"p{percent}"] = float(value) * UNITS[unit]
    return figures


def statuses(access_log: Path, path: str, start: int) -> dict[str, int]:
    """The status of every request for `path` logged since byte `start` of the access log: wrk
    counts a redirect (to the sign-in page, say) as a success, the log does not lie."""
    counts: dict[str, int] = {}
    with access_log.open() as log:
        log.seek(start)
        for line in log:
            match = re.search(r'"GET (\S+)" (\d{3}) ', line)
            if match and match.group(1) == path:
                counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    return counts


def measure(port: int, access_log: Path, path: str, cookie: str = "") -> dict[str, float]:
    wrk(port, path, cookie, 3)  # warm every worker: imports, templates, database connections
    start = access_log.stat().st_size
    figures = wrk(port, path, cookie, SECONDS)
    time.sleep(0.5)  # the last lines reach the log
    seen = statuses(access_log, path, start)
    if set(seen) != {"200"}:
        raise RuntimeError(f"{path} answered {seen}, not only 200")
    print(f"  {path:<28} {figures['rps']:8.1f} req/s  p50 {figures['p50']:8.2f} ms  p99 {figures['p99']:8.2f} ms", flush=True)
    return figures


def report_page(name: str, page: dict[str, float], baseline: dict[str, float]) -> None:
    report(f"{name}: requests a second", page["rps"], "req/s", "-", None)
    report(f"{name}: p50", page["p50"], "ms", "-", None)
    report(f"{name}: p99", page["p99"], "ms", "-", None)
    report(f"{name}: requests a second / /healthz's", page["rps"] / baseline["rps"], "x", "-", None)
    report(f"{name}: p50 / /healthz's", page["p50"] / baseline["p50"], "x", "-", None)
    report(f"{name}: p99 / /healthz's", page["p99"] / baseline["p99"], "x", "-", None)


def main() -> int:
    missing = prerequisites_missing()
    if missing:
        print(f"SKIPPED: {missing}")
        return SKIPPED
    database = f"bench_web_{os.getpid()}"  # never a name another run could be using
    work = Path(tempfile.mkdtemp(prefix="marac-bench-web-"))
    secrets_env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"{SERVER}/{database}",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("bench"),
    }
    # Not the developer's var/broker: what seeding queues (packs to render) goes nowhere.
    dev = {**secrets_env, "MARAC_ENV": "dev", "CELERY_BROKER_URL": "memory://"}
    production = {
        **secrets_env,
        "MARAC_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "MARAC_SSL_REDIRECT": "false",  # plain HTTP on loopback: the proxy's TLS is not measured
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",  # never reached: these pages queue nothing
        "MARAC_STATIC_ROOT": str(work / "static"),
        "MARAC_LOG_LEVEL": "WARNING",
    }
    postgres(f'CREATE DATABASE "{database}"')
    try:
        print(f"Seeding the demo into {database} ...", flush=True)
        manage(dev, "migrate", "--no-input", "-v0")
        manage(dev, "seed_demo")
        manage(production, "collectstatic", "--no-input", "-v0")

        with gunicorn(production, work, "default") as (port, access_log):
            coordinator = sign_in(port, "coordinator", dev)
            status, _, case_list = coordinator.get("/cases/")
            assert status == 200, f"case list: {status}"
            case_page = "/cases/{}/".format(re.search(r'href="/cases/([A-Z]+-\d{4}-\d{4})/"', case_list).group(1))
            cookie = coordinator.cookie_header()
            print(f"gunicorn: {CONNECTIONS} connections, {SECONDS} s each", flush=True)
            before = measure(port, access_log, "/healthz")
            pages = {"case list": measure(port, access_log, "/cases/", cookie)}
            pages["case page"] = measure(port, access_log, case_page, cookie)
            after = measure(port, access_log, "/healthz")
        with gunicorn({**production, "DATABASE_CONN_MAX_AGE": "0"}, work, "no-persistent") as (port, access_log):
            fresh_connections = measure(port, access_log, "/healthz")
    finally:
        postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)

    baseline = {key: (before[key] + after[key]) / 2 for key in before}
    report("/healthz (baseline): requests a second", baseline["rps"], "req/s", "-", None)
    report("/healthz (baseline): p50", baseline["p50"], "ms", "-", None)
    report("/healthz (baseline): p99", baseline["p99"], "ms", "-", None)
    report("/healthz after the pages / before: requests a second", after["rps"] / before["rps"], "x", "-", None)
    for name, page in pages.items():
        report_page(name, page, baseline)
    report_page("/healthz with DATABASE_CONN_MAX_AGE=0", fresh_connections, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
