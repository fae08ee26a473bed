"""A referral submitted through the partner API against the same referral made through the web
forms, in the same run, under gunicorn (issue 19's benchmark).

Both sides make the same referral (the same victim, all 24 checklist answers, 18 of them yes, and
consent given), the same number of times (BENCH_API_REFERRALS, default 120, each way) at the same
concurrency (BENCH_API_CONCURRENCY, default 8 at once), each on a connection of its own:
- the API: one POST /api/v1/referrals/ with the client's bearer token and a fresh Idempotency-Key;
- the web: what a signed-in referrer's browser asks for to make it (referrals/checklist_views.py):
  the start form and its POST, each of the four checklist steps and its POST, the summary, the
  referral form and its POST. The redirect to the referrer's list at the end is not followed.
For each: referrals a second (for the API that is its requests a second) and the p50 and p99 of
the time one referral takes, and the ratios API / web. The sides take turns in rounds (web, API,
web, API) so that drift on the shared machine falls on both, and each side is warmed first.

A referral that fails on either side (a 500, a refusal) is reported with the exceptions gunicorn
logged, and the script exits 1: figures over failures are not figures. Afterwards the scratch
database is asked how many referrals were submitted: every one counted must be there.

gunicorn, its configuration and the way it is started are bench/web_throughput.py's: production
settings with throwaway secrets on a PostgreSQL database of this script's own (BENCH_POSTGRES,
default postgres://postgres@127.0.0.1:5432), seeded with the demo (MARAC_ENV=dev). The API's
rate limits are raised for the run (MARAC_API_*_RATE), or every submission after the first
minute's few would be a 429. Redis database 15 is the broker and the limits' shared cache, flushed
before and after. Exits 77 (skipped) without PostgreSQL, Redis or the partner API.
"""

import base64
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import redis
from _harness import report
from web_throughput import SERVER, SKIPPED, Client, gunicorn, manage, postgres, sign_in

from marac.security.keyring import new_keyring_json
from referrals.checklists import CURRENT
from referrals.forms import QUESTIONS_PER_STEP

ROOT = Path(__file__).resolve().parents[1]
REFERRALS = int(os.environ.get("BENCH_API_REFERRALS", "120"))
CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "8"))
ROUNDS = 2
REDIS_URL = "redis://127.0.0.1:6379/15"  # the CI checks use 11 to 14
REFERRER = ("referrer", "Loughborough Women's Aid", "NWL")  # the demo's referrer: username, agency, area
VICTIM = {"name": "Leanne Hart", "date_of_birth": "1990-05-04", "address": "5 Hotel Street, Coalville"}
YES = {q.id for q in CURRENT.questions[:18]}  # 18 of 24: high risk, referred on the score alone
ANSWERS = {q.id: ("yes" if q.id in YES else "no") for q in CURRENT.questions}


def prerequisites_missing() -> str | None:
    if not (ROOT / "api" / "management" / "commands" / "api_client_add.py").exists():
        return "the partner API (api/, its api_client_add command) is not in this checkout"
    try:
        postgres("SELECT 1")
    except Exception as error:  # any failure means the same: no server to use
        return f"no PostgreSQL server at {SERVER} ({type(error).__name__})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"no Redis at {REDIS_URL} ({type(error).__name__})"
    return None


# --- The web forms, as the referrer's browser uses them ---


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def area_choice(page: str) -> str:
    """The start form's radio button for the referrer's one membership."""
    radio = re.search(r'<input[^>]*name="area"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', radio).group(1)


def step_fields(step: int) -> dict[str, str]:
    questions = CURRENT.questions[(step - 1) * QUESTIONS_PER_STEP : step * QUESTIONS_PER_STEP]
    return {q.id: ANSWERS[q.id] for q in questions} | {f"{q.id}_note": "" for q in questions}


def expect(response: tuple[int, str, str], status: int, location_ends: str = "") -> str:
    got, location, _ = response
    if got != status or not location.endswith(location_ends):
        raise RuntimeError(f"expected {status} to ...{location_ends}, got {got} to {location!r}")
    return location


def web_referral(port: int, cookies: dict[str, str]) -> float:
    """One referral through the pages; the seconds it took."""
    client = Client(port)
    client.cookies = dict(cookies)  # the referrer's session, signed in once with both factors
    started = time.perf_counter()
    status, _, page = client.get("/cases/new-checklist/")
    assert status == 200, f"start form: {status}"
    year, month, day = VICTIM["date_of_birth"].split("-")
    start = {"name": VICTIM["name"], "address": VICTIM["address"], "date_of_birth_day": day.lstrip("0")}
    start |= {"date_of_birth_month": month.lstrip("0"), "date_of_birth_year": year, "area": area_choice(page)}
    posted = client.request("POST", "/cases/new-checklist/", {"csrfmiddlewaretoken": csrf_token(page), **start})
    base = expect(posted, 302, "/step-1/").removesuffix("step-1/")
    for step in range(1, 5):
        following = f"{base}step-{step + 1}/" if step < 4 else base  # after the last step, the summary
        expect(client.post_form(f"{base}step-{step}/", step_fields(step)), 302, following)
    assert client.get(base)[0] == 200, "checklist summary"
    expect(client.post_form(f"{base}refer/", {"consent": "given"}), 302, "/referrals/")
    return time.perf_counter() - started


# --- The partner API ---


def api_body() -> dict:
    answers = {question: {"answer": answer, "note": ""} for question, answer in ANSWERS.items()}
    return {"area": REFERRER[2], "victim": VICTIM, "checklist": {"version": CURRENT.version, "answers": answers}, "consent": "given"}


def api_call(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def api_token(port: int, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    status, body = api_call(port, "POST", "/api/v1/oauth/token/", urlencode({"grant_type": "client_credentials"}).encode(), headers)
    assert status == 200, f"token endpoint: {status} {body[:200]!r}"
    return json.loads(body)["access_token"]


def api_referral(port: int, token: str) -> float:
    """One referral through the API, with a key of its own; the seconds it took."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    body = json.dumps(api_body()).encode()
    started = time.perf_counter()
    status, answer = api_call(port, "POST", "/api/v1/referrals/", body, headers)
    took = time.perf_counter() - started
    if status != 201:
        raise RuntimeError(f"API submission answered {status}: {answer[:300]!r}")
    return took


def api_client(dev_env: dict[str, str]) -> tuple[str, str]:
    """A client for the referrer's agency and area: its id and secret, printed once by the command."""
    output = manage(dev_env, "api_client_add", "--name", "Benchmark", "--agency", REFERRER[1], "--area", REFERRER[2])
    client_id = re.search(r"^client_id=(\S+)$", output, re.MULTILINE).group(1)
    secret = re.search(r"^client_secret=(\S+)$", output, re.MULTILINE).group(1)
    return client_id, secret


# --- Measuring ---


def batch(make_one, count: int) -> tuple[float, list[float], list[str]]:
    """`count` referrals, CONCURRENCY at once: the wall-clock seconds, each good one's seconds
    and what went wrong with the others."""
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = [pool.submit(make_one) for _ in range(count)]
    wall = time.perf_counter() - started
    failures = [f"{type(f.exception()).__name__}: {f.exception()}" for f in futures if f.exception()]
    return wall, [f.result() for f in futures if not f.exception()], failures


def figures(wall: float, timings: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"rps": len(timings) / wall, "p50": statistics.median(timings) * 1e3, "p99": cuts[98] * 1e3}


def compare(port: int, cookies: dict[str, str], token: str) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    """Each side's figures, and what failed on each."""
    sides = {"web forms": lambda: web_referral(port, cookies), "API": lambda: api_referral(port, token)}
    walls = dict.fromkeys(sides, 0.0)
    timings: dict[str, list[float]] = {name: [] for name in sides}
    failures: dict[str, list[str]] = {name: [] for name in sides}
    for name, make_one in sides.items():
        failures[name] += batch(make_one, CONCURRENCY)[2]  # warm every worker: imports, templates, connections
    for _ in range(ROUNDS):
        for name, make_one in sides.items():
            wall, each, failed = batch(make_one, REFERRALS // ROUNDS)
            walls[name] += wall
            timings[name] += each
            failures[name] += failed
    return {name: figures(walls[name], timings[name]) for name in sides if timings[name]}, failures


def submitted_count(database: str) -> int:
    import psycopg

    with psycopg.connect(f"{SERVER}/{database}") as conn:
        return conn.execute("SELECT count(*) FROM referrals_referral WHERE submitted_on IS NOT NULL").fetchone()[0]


def environments(database: str, work: Path) -> tuple[dict[str, str], dict[str, str]]:
    secrets_env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"{SERVER}/{database}",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("bench"),
    }
    # Not the developer's var/broker: the notices a submission queues go nowhere.
    dev = {**secrets_env, "MARAC_ENV": "dev", "CELERY_BROKER_URL": "memory://"}
    production = {
        **secrets_env,
        "MARAC_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "MARAC_SSL_REDIRECT": "false",  # plain HTTP on loopback: the proxy's TLS is not measured
        # Production wants Redis: a database no other script uses, flushed before and after. The
        # notices each submission queues wait there for a worker that never comes.
        "CELERY_BROKER_URL": REDIS_URL,
        "MARAC_STATIC_ROOT": str(work / "static"),
        "MARAC_LOG_LEVEL": "WARNING",
        # What the run submits, many times over any real client's limit: measured, not refused.
        "MARAC_API_WRITE_RATE": "100000/minute",
        "MARAC_API_READ_RATE": "100000/minute",
    }
    return dev, production


def server_errors(error_log: Path) -> list[str]:
    """The distinct exceptions in gunicorn's error log (their names and messages, never a body)."""
    lines = error_log.read_text(errors="replace").splitlines() if error_log.exists() else []
    return sorted({line for line in lines if re.match(r"^[\w.]+(Error|Exception|Detected|Failure)\b", line)})


def print_report(measured: dict[str, dict[str, float]]) -> None:
    for name, side in measured.items():
        report(f"referral through the {name}: referrals a second", side["rps"], "ref/s", "-", None)
        report(f"referral through the {name}: p50", side["p50"], "ms", "-", None)
        report(f"referral through the {name}: p99", side["p99"], "ms", "-", None)
    if {"API", "web forms"} <= set(measured):
        api, web = measured["API"], measured["web forms"]
        report("API / web forms: referrals a second", api["rps"] / web["rps"], "x", "-", None)
        report("API / web forms: p99", api["p99"] / web["p99"], "x", "-", None)


def failed(failures: dict[str, list[str]], errors: list[str]) -> bool:
    """Any referral refused or failed: said, with the server's exceptions, so no figure hides it."""
    for name, messages in failures.items():
        if messages:
            print(f"FAILED: {len(messages)} referrals through the {name}, first: {messages[0]}")
    for line in errors:
        print(f"  gunicorn logged: {line}")
    return any(failures.values())


def main() -> int:
    missing = prerequisites_missing()
    if missing:
        print(f"SKIPPED: {missing}")
        return SKIPPED
    database = f"bench_api_{os.getpid()}"  # never a name another run could be using
    work = Path(tempfile.mkdtemp(prefix="marac-bench-api-"))
    dev, production = environments(database, work)
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    postgres(f'CREATE DATABASE "{database}"')
    try:
        print(f"Seeding the demo into {database} ...", flush=True)
        manage(dev, "migrate", "--no-input", "-v0")
        manage(dev, "seed_demo")
        manage(production, "collectstatic", "--no-input", "-v0")
        client_id, secret = api_client(dev)
        before = submitted_count(database)
        with gunicorn(production, work, "api") as (port, _):
            cookies = sign_in(port, REFERRER[0], dev).cookies
            token = api_token(port, client_id, secret)
            print(f"gunicorn: {REFERRALS} referrals each way, {CONCURRENCY} at once, in {ROUNDS} rounds", flush=True)
            measured, failures = compare(port, cookies, token)
        made = submitted_count(database) - before
        errors = server_errors(work / "api-error.log")
    finally:
        postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        broker.flushdb()
        shutil.rmtree(work, ignore_errors=True)

    print_report(measured)
    if failed(failures, errors):
        return 1
    expected = 2 * (REFERRALS // ROUNDS * ROUNDS + CONCURRENCY)
    if made != expected:
        print(f"FAILED: {made} referrals were submitted, not {expected}")
        return 1
    print(f"{made} referrals submitted, as many as were counted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
