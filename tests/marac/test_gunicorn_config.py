"""gunicorn.conf.py: workers from the environment, forwarded headers believed only from the
configured proxies, and logs that never carry a query string, in the configuration as gunicorn
validates it and in a real server's output."""

import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from gunicorn.config import Config

from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "gunicorn.conf.py"
READ = (
    "MARAC_WEB_WORKERS",
    "MARAC_WEB_THREADS",
    "MARAC_WEB_BIND",
    "MARAC_PDF_TIMEOUT_SECONDS",
    "MARAC_TRUSTED_PROXY_NETWORKS",
    "MARAC_PROXY_SETS_X_FORWARDED_PROTO",
    "MARAC_LOG_LEVEL",
)


@pytest.fixture
def load(monkeypatch):
    """Run gunicorn.conf.py under the given environment and pass every value through gunicorn's
    own validators, as `gunicorn -c` does."""

    def load(**env: str) -> Config:
        for name in READ:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config = Config()
        for name, value in runpy.run_path(str(CONFIG)).items():
            if name in config.settings:
                config.set(name, value)
        return config

    return load


def test_workers_and_threads_come_from_the_environment(load):
    config = load(MARAC_WEB_WORKERS="3", MARAC_WEB_THREADS="4", MARAC_WEB_BIND="unix:/run/marac/web.sock")
    assert (config.workers, config.threads, config.worker_class_str) == (3, 4, "gthread")
    assert config.bind == ["unix:/run/marac/web.sock"]


def test_by_default_workers_follow_the_cores_up_to_eight_one_request_each(load):
    config = load()
    assert 3 <= config.workers <= 8
    assert (config.threads, config.worker_class_str) == (1, "sync")
    assert config.bind == ["127.0.0.1:8000"]


@pytest.mark.parametrize("name,value", [("MARAC_WEB_WORKERS", "many"), ("MARAC_WEB_WORKERS", "0"), ("MARAC_WEB_THREADS", "-1")])
def test_a_bad_number_stops_the_server(load, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load(**{name: value})


def test_a_pdf_rendered_in_the_request_finishes_before_the_worker_is_killed(load):
    config = load(MARAC_PDF_TIMEOUT_SECONDS="300")
    assert config.timeout > 300
    assert config.graceful_timeout >= 300


def test_the_access_log_has_the_path_but_never_the_query_string_or_referer(load):
    log_format = load().access_log_format
    assert "%(U)s" in log_format
    for leaks in ("%(r)s", "%(q)s", "%(f)s", "{referer}i", "{cookie}i"):
        assert leaks not in log_format


def test_with_no_proxy_networks_forwarded_headers_are_believed_from_no_address(load):
    config = load()
    # gunicorn's own default would trust 127.0.0.1 and ::1: anything on the machine.
    assert config.forwarded_allow_ips == []
    assert config.forwarded_allow_networks() == []
    assert config.secure_scheme_headers == {}
    assert config.forwarder_headers == []


def test_forwarded_headers_are_believed_only_from_the_configured_proxies(load):
    config = load(MARAC_TRUSTED_PROXY_NETWORKS="10.0.0.0/24, 192.0.2.7", MARAC_PROXY_SETS_X_FORWARDED_PROTO="true")
    assert config.forwarded_allow_ips == ["10.0.0.0/24", "192.0.2.7/32"]
    assert config.secure_scheme_headers == {"X-FORWARDED-PROTO": "https"}


def test_the_scheme_header_is_ignored_unless_the_proxy_is_said_to_set_it(load):
    config = load(MARAC_TRUSTED_PROXY_NETWORKS="10.0.0.0/24")
    assert config.secure_scheme_headers == {}


@pytest.mark.parametrize("networks", ["10.0.0.1/24", "proxy.internal", "*"])
def test_a_proxy_network_that_is_not_a_network_stops_the_server(load, networks):
    with pytest.raises(ImproperlyConfigured, match="MARAC_TRUSTED_PROXY_NETWORKS"):
        load(MARAC_TRUSTED_PROXY_NETWORKS=networks)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # nosec B310: our own server
        return response.read()


def send_raw(port: int, request_line: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        sock.recv(1024)


def test_a_real_server_logs_the_path_and_not_the_query_string(tmp_path):
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "MARAC_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path}/health.sqlite3",  # /healthz asks only SELECT 1
        "MARAC_WEB_BIND": f"127.0.0.1:{port}",
        "MARAC_WEB_WORKERS": "1",
    }
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "marac.wsgi"], cwd=ROOT, env=env, stdout=stdout, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert get(f"http://127.0.0.1:{port}/healthz?secret=xyz") == b"ok"
                break
            except OSError:
                assert server.poll() is None, err.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        # A request line gunicorn refuses is logged as an error, quoting what it could not parse.
        send_raw(port, "GET /heal thz?secret=xyz HTTP/1.1")
        deadline = time.monotonic() + 10
        while "/healthz" not in out.read_text() or "Invalid" not in err.read_text():
            assert time.monotonic() < deadline, "nothing logged"
            time.sleep(0.1)
    finally:
        stop(server, seconds=30)
    access, errors = out.read_text(), err.read_text()
    assert '"GET /healthz" 200' in access
    assert "[query removed]" in errors
    assert "secret=xyz" not in access + errors
