"""For .ci/api_schema_check: waits for the server to answer /healthz, then asks the partner API's
token endpoint for a client-credentials token and prints it (only it) on stdout.

`.venv/bin/python .ci/api_token.py BASE_URL` with API_CLIENT_ID and API_CLIENT_SECRET in the
environment (never on a command line, where `ps` shows them). The request says it came through
the TLS proxy (X-Forwarded-Proto: https), as the server under check is configured to believe
from 127.0.0.1, so production's HTTPS redirect answers it as it would a real client.
"""

import base64
import json
import os
import sys
import time
from http.client import HTTPConnection
from urllib.parse import urlencode, urlsplit

OAUTH_ENDPOINT = "/api/v1/oauth/token/"
STARTUP_SECONDS = 60


def call(base: str, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body, {"X-Forwarded-Proto": "https", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for_server(base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if call(base, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"FAILED: the server at {base} did not answer /healthz within {STARTUP_SECONDS} s")


def token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    status, body = call(base, "POST", OAUTH_ENDPOINT, urlencode({"grant_type": "client_credentials"}), headers)
    if status != 200:
        sys.exit(f"FAILED: the token endpoint answered {status}")  # its body is not printed: it may echo the request
    return json.loads(body)["access_token"]


def main() -> None:
    base = sys.argv[1]
    wait_for_server(base)
    print(token(base, os.environ["API_CLIENT_ID"], os.environ["API_CLIENT_SECRET"]))


if __name__ == "__main__":
    main()
