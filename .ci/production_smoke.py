"""The service as production runs it, proven over real HTTP: gunicorn (gunicorn.conf.py) with
production settings and throwaway secrets on a scratch PostgreSQL database, a Celery worker and
beat on Redis. The coordinator signs in with both factors, schedules a meeting, lists a case and
issues the agenda; the packs are waited for; a representative accepts the confidentiality
statement, gives a fresh security code and downloads the meeting pack, checked with pdftotext.

Every process is started here and stopped here, by its PID; the database is dropped and the Redis
database flushed at the end. On failure, the tail of each process's log is printed (never all of
it). Run by .ci/run: `.venv/bin/python .ci/production_smoke.py`.
"""

import os
import re
import secrets

# The project's own processes and pdftotext, with fixed arguments and no shell
import subprocess  # nosec B404
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from .ci/: the project's packages are one level up

from marac.security.keyring import new_keyring_json  # noqa: E402
from tests.http_client import Client, HttpClientError  # noqa: E402
from tests.processes import free_port, stop  # noqa: E402

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of the smoke's own: flushed before and after
# The documented demo password (demo/management/commands/seed_demo.py), for a scratch database
DEMO_PASSWORD = "marac-demo-2026"  # noqa: S105  # nosec B105
REPRESENTATIVE = ("agency_rep", "Tom Okafor", "Leicestershire Children's Social Care")
PACKS_TIMEOUT_SECONDS = 120
PROGRESS = re.compile(r"(\d+) of (\d+) packs ready")


class SmokeFailed(Exception):
    pass


def step(message: str) -> None:
    print(f"-- {message}", flush=True)


@contextmanager
def timed(what: str):
    started = time.monotonic()
    yield
    print(f"   {what}: {time.monotonic() - started:.1f} s", flush=True)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise SmokeFailed(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


class Processes:
    """The processes this script started, each with its log file; stopped in reverse order.
    A service must keep running until it is stopped; a one-off (collectstatic) may end."""

    def __init__(self, log_dir: Path):
        self.log_dir, self.started, self.services = log_dir, [], set()

    def start(self, name: str, args: list[str], env: dict[str, str], *, service: bool = True) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603  # nosec B603
        self.started.append((name, process, log))
        if service:
            self.services.add(name)
        print(f"   started {name}, pid {process.pid}", flush=True)
        return process

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def check_running(self) -> None:
        for name, process, _ in self.started:
            if name in self.services and process.poll() is not None:
                raise SmokeFailed(f"{name} (pid {process.pid}) exited with {process.returncode}")

    def stop_all(self) -> None:
        for name, process, _ in reversed(self.started):
            stop(process)
            print(f"   stopped {name}, pid {process.pid} (exit {process.returncode})", flush=True)

    def print_tails(self, lines: int = 25) -> None:
        for name, _, log in self.started:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"---- last {len(tail)} lines of {name}'s log ----")
            print("\n".join(tail))


def wait_until(check, *, timeout: float, what: str, processes: Processes, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_running()
        if result := check():
            return result
        time.sleep(every)
    raise SmokeFailed(f"timed out after {timeout:.0f} s waiting for {what}")


def healthy(base: str) -> bool:
    try:
        return Client(base, timeout=5).get("/healthz").status == 200
    except OSError:
        return False


def serve(env: dict[str, str], processes: Processes, base: str) -> None:
    python = sys.executable
    processes.start("gunicorn", [python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "marac.wsgi"], env)
    processes.start("worker", [python, "-m", "celery", "-A", "marac.celery", "worker", "--concurrency", "2", "--loglevel", "INFO"], env)
    beat_schedule = processes.log_dir / "beat-schedule"
    processes.start("beat", [python, "-m", "celery", "-A", "marac.celery", "beat", "-s", str(beat_schedule), "--loglevel", "INFO"], env)
    with timed("gunicorn answering /healthz"):
        wait_until(lambda: healthy(base), timeout=60, what="gunicorn's /healthz", processes=processes)
    with timed("worker ready"):
        wait_until(lambda: " ready." in processes.log("worker"), timeout=60, what="the worker", processes=processes)
    with timed("beat started"):
        wait_until(lambda: "beat: Starting" in processes.log("beat"), timeout=60, what="beat", processes=processes)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailed(message)


def schedule_meeting(coordinator: Client) -> str:
    """A new meeting in a fortnight, the representative's agency invited: its page's path."""
    form = coordinator.form("/meetings/new/")
    day = time.localtime(time.time() + timedelta(days=14).total_seconds())
    data = form.choose("North West Leicestershire", "Helen Marsh", REPRESENTATIVE[2], "Leicestershire Police")
    data.update(day_day=str(day.tm_mday), day_month=str(day.tm_mon), day_year=str(day.tm_year))
    data.update(starts="10:00", venue="Coalville Police Station, meeting room 2")
    page = coordinator.post(form.action, data)
    expect(page.status == 200 and re.fullmatch(r"/meetings/\d+/", page.url) is not None, f"scheduling refused: {page.url}")
    return page.url


def list_a_case(coordinator: Client, meeting: str) -> None:
    """Accepted referrals waiting, if the demo left any; otherwise a case added by reference."""
    added = coordinator.submit(meeting, {}, action=f"{meeting}agenda/build/")
    if "No cases on the agenda yet." not in added.text:
        return
    references = re.findall(r"\bNWL-\d{4}-\d{4}\b", coordinator.get("/cases/").text)
    expect(bool(references), "no NWL case on the coordinator's case list")
    form = coordinator.form(f"{meeting}agenda/add/")
    page = coordinator.post(form.action, {**form.choose("Review of a case heard before"), "reference": references[0]})
    expect(page.url == meeting and f"{references[0]} has been added to the agenda" in page.text, "adding a case was refused")


def wait_for_packs(coordinator: Client, meeting: str, processes: Processes) -> None:
    expect('id="pack-progress"' in coordinator.get(meeting).text, "the meeting page shows the coordinator no pack progress")

    def ready():
        found = PROGRESS.search(coordinator.get(meeting).text)  # absent until the packs are counted
        done, total = (int(found[1]), int(found[2])) if found else (0, 0)
        return total > 0 and done == total and (done, total)

    done, total = wait_until(ready, timeout=PACKS_TIMEOUT_SECONDS, what="the packs", processes=processes, every=1)
    print(f"   {done} of {total} packs ready", flush=True)


def check_pack(pdf: bytes, saved: Path) -> None:
    expect(pdf.startswith(b"%PDF"), "the download is not a PDF")
    saved.write_bytes(pdf)
    # Debian's poppler-utils from PATH, as .ci/run installs it, on the file just saved
    pdftotext = ["pdftotext", str(saved), "-"]
    text = subprocess.run(pdftotext, capture_output=True, text=True, check=True, timeout=60).stdout  # noqa: S603  # nosec B603
    words = " ".join(text.split())
    expect("OFFICIAL-SENSITIVE" in words, "no OFFICIAL-SENSITIVE marking in the pack")
    expect(f"Prepared for {REPRESENTATIVE[1]}" in words, f"the pack is not marked as prepared for {REPRESENTATIVE[1]}")


def journey(base: str, dev_env: dict[str, str], processes: Processes, out: Path) -> None:
    def code_for(username: str):
        return lambda: manage(dev_env, "demo_totp", username).strip()[-6:]

    step("the coordinator and the representative sign in with both factors")
    coordinator, rep = Client(base), Client(base)
    with timed("coordinator signed in"):
        home = coordinator.sign_in("coordinator", DEMO_PASSWORD, code_for("coordinator"))
        expect(home.status == 200 and home.url == "/", f"coordinator's sign-in ended at {home.url} ({home.status})")
    with timed("representative signed in"):
        rep.sign_in(REPRESENTATIVE[0], DEMO_PASSWORD, code_for(REPRESENTATIVE[0]))

    step("the coordinator schedules a meeting, lists a case and issues the agenda")
    with timed("agenda issued"):
        meeting = schedule_meeting(coordinator)
        list_a_case(coordinator, meeting)
        issued = coordinator.submit(meeting, {}, action=f"{meeting}agenda/issue/")
        expect("The agenda has been issued" in issued.text, f"issuing the agenda was refused ({issued.status})")
    print(f"   meeting {meeting}", flush=True)

    step("the workers prepare the packs")
    with timed("packs"):
        wait_for_packs(coordinator, meeting, processes)

    step("the representative accepts the confidentiality statement and downloads the meeting pack")
    accepted = rep.submit(
        f"{meeting}confidentiality/", rep.form(f"{meeting}confidentiality/").choose("I accept the confidentiality statement")
    )
    expect("You accepted the confidentiality statement" in accepted.text, "the confidentiality statement was not accepted")
    pack = f"{meeting}documents/pack.pdf"
    # Signing in counts as a fresh code for 15 minutes, so the download would not ask yet: the
    # page it sends people to later is walked here, with a code from the next 30-second step.
    with timed("fresh security code"):
        rep.confirm_identity(pack)
    started = time.monotonic()
    download = rep.download(pack)
    took = time.monotonic() - started
    expect(download.status == 200, f"the download answered {download.status} at {download.url}")
    expect(download.headers.get("Content-Type") == "application/pdf", f"the download is {download.headers.get('Content-Type')}")
    print(f"   download: {took:.2f} s, {len(download.body) // 1024} KB", flush=True)
    check_pack(download.body, out / "meeting-pack.pdf")
    print("   pdftotext: OFFICIAL-SENSITIVE and the representative's name in the recipient line", flush=True)


def environments(database_url: str, port: int, smtp_port: int, out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The dev environment (migrate, seed_demo, demo_totp) and the production one, sharing the
    database, the secrets and one keyring: the seed's records must open in every process."""
    shared = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MARAC_KEYRING": new_keyring_json("smoke"),
        "CELERY_BROKER_URL": REDIS_URL,  # dev commands too: nothing is queued on the repository's disk broker
    }
    production = {
        **shared,
        "MARAC_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1",
        # As behind the TLS proxy: it is on 127.0.0.1 and sets X-Forwarded-Proto (the client sends it).
        "MARAC_PROXY_SETS_X_FORWARDED_PROTO": "true",
        "MARAC_TRUSTED_PROXY_NETWORKS": "127.0.0.1/32",
        "MARAC_WEB_BIND": f"127.0.0.1:{port}",
        "MARAC_WEB_WORKERS": "2",  # CI has two cores
        "MARAC_STATIC_ROOT": str(out / "static"),
        "EMAIL_HOST": "127.0.0.1",  # a sink that accepts and discards the workers' notices
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
    }
    return {**shared, "MARAC_ENV": "dev"}, production


def prepare(dev_env: dict[str, str], production_env: dict[str, str], processes: Processes) -> None:
    # collectstatic needs no database: it runs while the database is prepared.
    collect = processes.start(
        "collectstatic", [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], production_env, service=False
    )
    with timed("migrate"):
        manage(dev_env, "migrate", "--no-input", "-v0")
    with timed("seed_demo"):
        manage(dev_env, "seed_demo")
    with timed("collectstatic (production settings), after the seed"):
        expect(collect.wait(timeout=120) == 0, "collectstatic failed")


def run(out: Path, broker: redis.Redis) -> bool:
    """The whole smoke in `out`, a temporary directory; True if it passed."""
    name = f"marac_smoke_{secrets.token_hex(4)}"
    port, smtp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    dev_env, production_env = environments(
        f"postgres://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{name}", port, smtp_port, out
    )
    processes = Processes(out)
    with psycopg.connect(**POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        step(f"scratch database {name}: migrate and seed the demo (MARAC_ENV=dev), collectstatic")
        prepare(dev_env, production_env, processes)
        broker.flushdb()  # what the seed queued: its meetings are not the ones checked here

        step(f"start gunicorn on {urlsplit(base).netloc}, a Celery worker and beat (MARAC_ENV=production)")
        smtp = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp_port}"]
        processes.start("smtp", smtp, {"PATH": os.environ["PATH"]})
        serve(production_env, processes, base)

        journey(base, dev_env, processes, out)
        processes.check_running()
        return True
    except (SmokeFailed, HttpClientError) as error:
        print(f"FAILED: {error}", flush=True)
    except Exception:
        traceback.print_exc()
    finally:
        step("stop every process started here, drop the database, flush Redis")
        processes.stop_all()
        with psycopg.connect(**POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        broker.flushdb()
    processes.print_tails()
    return False


def main() -> int:
    begun = time.monotonic()
    broker = redis.Redis.from_url(REDIS_URL)
    try:
        broker.ping()
    except redis.RedisError as error:
        print(f"FAILED: Redis does not answer at {REDIS_URL}: {error}")
        return 1
    with tempfile.TemporaryDirectory(prefix="marac-smoke-") as scratch:
        passed = run(Path(scratch), broker)
    print(f"== production smoke {'passed' if passed else 'FAILED'} in {time.monotonic() - begun:.0f} s", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
