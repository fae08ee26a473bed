"""The real path of background work: a web request queues a task on Redis and a separate
`celery worker` process runs it. A representative accepts a meeting's confidentiality statement
through a real server process; the worker renders and stores their agenda and pack.

Nothing here runs in the test process but the HTTP client: the server, the worker and the
commands are processes of their own, on a scratch database and a Redis database of their own."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.http_client import Client
from tests.processes import free_port, stop, wait_for_port
from tests.scratch_db import ROOT, manage, scratch_database

REDIS_URL = os.environ.get("MARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")  # not the CI smoke's 13
PASSWORD = "marac-demo-2026"
WAIT_SECONDS = 180


def stored_packs(env: dict[str, str], username: str) -> dict[str, str]:
    """{kind: status} of a person's stored packs, read by a command in its own process."""
    script = (
        "from meetings.models import StoredPack\n"
        f"for kind, status in StoredPack.objects.filter(recipient__username={username!r}).values_list('kind', 'status'):\n"
        "    print('STORED', kind, status)\n"
    )
    out = manage(env, "shell", "-c", script).stdout
    return dict(line.split()[1:] for line in out.splitlines() if line.startswith("STORED "))


@pytest.fixture
def broker():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is needed at {REDIS_URL} (Debian: apt-get install redis-server)")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def test_a_task_queued_by_a_web_request_is_run_by_a_separate_worker_process(broker, tmp_path: Path):
    with scratch_database() as scratch:
        # The client says it came through a TLS proxy, as production requests do (tests/http_client.py).
        env = {**scratch, "CELERY_BROKER_URL": broker, "MARAC_TASKS_IN_PROCESS": "false", "MARAC_PROXY_SETS_X_FORWARDED_PROTO": "true"}
        manage(env, "seed_demo", "--without-packs")
        assert "agenda" not in stored_packs(env, "agency_rep")  # the demo representative has not accepted yet
        port = free_port()
        worker_log = tmp_path / "worker.log"
        with open(tmp_path / "server.log", "wb") as server_out, open(worker_log, "wb") as worker_out:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
                cwd=ROOT,
                env=env,
                stdout=server_out,
                stderr=subprocess.STDOUT,
            )
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "marac.celery", "worker", "--pool", "solo", "--loglevel", "INFO",
                 "--hostname", f"test-{secrets.token_hex(3)}@%h", "--without-gossip", "--without-mingle"],
                cwd=ROOT,
                env=env,
                stdout=worker_out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                wait_for_port(port, server)
                rep = Client(f"http://127.0.0.1:{port}")
                rep.sign_in("agency_rep", PASSWORD, lambda: manage(env, "demo_totp", "agency_rep").stdout.strip()[-6:])
                meeting = next(path for path in re.findall(r'href="(/meetings/\d+/)"', rep.get("/meetings/").text))
                form = rep.form(f"{meeting}confidentiality/")
                accepted = rep.post(form.action, form.choose("I accept the confidentiality statement"))
                assert "You accepted the confidentiality statement" in accepted.text

                deadline = time.monotonic() + WAIT_SECONDS
                # (their minutes and action extract of the demo's past meeting were prepared by the seed)
                while [stored_packs(env, "agency_rep").get(kind) for kind in ("agenda", "pack")] != ["ready", "ready"]:
                    assert worker.poll() is None, worker_log.read_text()[-3000:]
                    assert time.monotonic() < deadline, f"packs not ready: {stored_packs(env, 'agency_rep')}"
                    time.sleep(1)
                assert server.poll() is None
            finally:
                stop(worker)
                stop(server)
        log = worker_log.read_text()
        # The worker process ran them: the web server queued and went on.
        assert re.search(r"Task meetings\.tasks\.refresh_packs\[[\w-]+\] succeeded", log), log[-3000:]
        assert len(re.findall(r"Task meetings\.tasks\.render_pack\[[\w-]+\] succeeded", log)) >= 2, log[-3000:]
        assert "Sarah" not in log and "Leanne" not in log  # ids only, never what a pack says
