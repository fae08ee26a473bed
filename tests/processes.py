"""Starting and stopping the service's own processes from tests, benchmarks and CI scripts: a free
port, waiting for a server to answer, and stopping a process by its PID whatever happened."""

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, *, seconds: float = 60) -> None:
    """Until something listens on the port; AssertionError if the process ends or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (process is None or process.poll() is None):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def stop(process: subprocess.Popen, *, seconds: float = 20) -> None:
    """Ask the process to stop (SIGTERM), then kill it if it has not within `seconds`."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
