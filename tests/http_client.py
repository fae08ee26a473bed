"""A person signed in to a real server process over HTTP, on the standard library alone: for
tests and CI scripts that must go through gunicorn or runserver, not Django's test client.

Production cookies are `__Host-` and Secure, and a standard cookie jar will not send them over
plain HTTP to 127.0.0.1. So this client keeps cookies itself and says it came through the TLS
proxy (X-Forwarded-Proto: https, which the server believes when MARAC_PROXY_SETS_X_FORWARDED_PROTO
is true), as production requests do. POSTs carry the Origin a browser would send, which Django's
CSRF check compares with the host on secure requests.

Security codes come from a callable (`manage.py demo_totp USERNAME`, or a device in a test). A
code is accepted once per 30-second step, so a second one (the fresh code before a download)
waits for the next step.
"""

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

TOTP_STEP_SECONDS = 30
CONFIRM_IDENTITY = "/account/confirm/"


class HttpClientError(AssertionError):
    """The server did not answer as a person signing in or submitting a form expects."""


@dataclass
class Response:
    status: int
    url: str  # the path asked for last, after any redirects followed
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Form:
    action: str  # a path
    fields: dict[str, list[str]] = field(default_factory=dict)  # what the browser would send untouched
    labelled: dict[str, tuple[str, str]] = field(default_factory=dict)  # label text -> (name, value)

    def choose(self, *labels: str) -> dict[str, list[str]]:
        """The form's fields with the radio buttons or checkboxes of these labels ticked."""
        data = {name: list(values) for name, values in self.fields.items()}
        for label in labels:
            name, value = self.labelled[label]
            data.setdefault(name, [])
            if value not in data[name]:
                data[name].append(value)
        return data


class _FormReader(HTMLParser):
    """Every form on a page: its action, the values its inputs would submit and their labels.
    Textareas and selects are left to the caller."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms = page_path, []
        self._form: Form | None = None
        self._choices: dict[str, tuple[Form, str, str]] = {}  # a checkbox or radio's id -> (form, name, value)
        self._label: tuple[str, list[str]] | None = None  # (the id it is for, its text so far)
        self._labels: list[tuple[str, str]] = []  # (the id it is for, its text)

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(action=urljoin(self.page_path, a.get("action") or self.page_path))
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            name, value, kind = a["name"], a.get("value", ""), a.get("type", "text")
            if kind in ("checkbox", "radio"):
                value = value or "on"
                self._choices[a.get("id", "")] = (self._form, name, value)
            if kind not in ("checkbox", "radio", "submit", "button") or "checked" in a:
                self._form.fields.setdefault(name, []).append(value)
        elif tag == "label":
            self._label = (a.get("for", ""), [])

    def handle_data(self, data):
        if self._label is not None:
            self._label[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "label" and self._label is not None:
            self._labels.append((self._label[0], " ".join("".join(self._label[1]).split())))
            self._label = None

    def close(self):
        super().close()
        for input_id, text in self._labels:
            if input_id in self._choices:
                form, name, value = self._choices[input_id]
                form.labelled.setdefault(text, (name, value))


def forms_on(page: Response) -> list[Form]:
    reader = _FormReader(page.url)
    reader.feed(page.text)
    reader.close()
    return reader.forms


class Client:
    """One person's browser, as far as the server can tell: cookies, CSRF tokens, redirects."""

    def __init__(self, base_url: str, *, timeout: float = 120):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout
        self.cookies: dict[str, str] = {}
        self._code: Callable[[], str] | None = None
        self._last_code_step = -1

    # --- HTTP ---
    def request(self, method: str, path: str, data: dict | None = None, *, follow: bool = True) -> Response:
        for _ in range(10):
            response = self._send(method, path, data)
            if not (follow and response.status in (301, 302, 303)):
                return response
            method, data, path = "GET", None, self._local(urljoin(path, response.location))
        raise HttpClientError(f"too many redirects, last to {path}")

    def get(self, path: str, *, follow: bool = True) -> Response:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, data: dict, *, follow: bool = True) -> Response:
        return self.request("POST", path, data, follow=follow)

    def _send(self, method: str, path: str, data: dict | None) -> Response:
        origin = f"https://{self.host}:{self.port}"
        headers = {"X-Forwarded-Proto": "https", "Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + path})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            response = Response(raw.status, path, raw.headers, raw.read())
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self._keep(cookie)
        return response

    def _keep(self, set_cookie: str) -> None:
        pair, *attributes = [part.strip() for part in set_cookie.split(";")]
        name, _, value = pair.partition("=")
        if any(attribute.lower() == "max-age=0" for attribute in attributes):
            self.cookies.pop(name, None)  # how Django deletes a cookie
        else:
            self.cookies[name] = value

    def _local(self, url: str) -> str:
        """A redirect's path: the server may name itself https://host/, which is this server."""
        parts = urlsplit(url)
        if parts.hostname not in (None, self.host):
            raise HttpClientError(f"redirected off the site, to {url}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # --- Forms ---
    def form(self, path: str, *, action: str | None = None) -> Form:
        """The form on the page at `path` that posts to `action` (default: the page itself)."""
        page = self.get(path)
        if page.status != 200:
            raise HttpClientError(f"GET {path} answered {page.status}")
        wanted = urlsplit(action or page.url).path
        for form in forms_on(page):
            if urlsplit(form.action).path == wanted:
                return form
        raise HttpClientError(f"no form posting to {wanted} on {page.url}")

    def submit(self, path: str, values: dict, *, action: str | None = None, follow: bool = True) -> Response:
        """Fill in and post a form as a browser would: its hidden fields (the CSRF token) kept."""
        form = self.form(path, action=action)
        return self.post(form.action, {**form.fields, **values}, follow=follow)

    # --- Signing in ---
    def sign_in(self, username: str, password: str, code: Callable[[], str]) -> Response:
        """Password, then a security code from `code()`; kept for the fresh code before downloads."""
        self._code = code
        answer = self.submit("/sign-in/", {"username": username, "password": password}, follow=False)
        if answer.status != 302 or not answer.location.startswith("/sign-in/security-code/"):
            raise HttpClientError(f"password refused for {username}: {answer.status}")
        answer = self.submit("/sign-in/security-code/", {"code": self._fresh_code()}, follow=False)
        if answer.status != 302:
            raise HttpClientError(f"security code refused for {username}: {answer.status}")
        return self.get(self._local(answer.location))

    def confirm_identity(self, next_path: str) -> Response:
        """The fresh security code asked for before a download; answers the redirect to next_path."""
        page = f"{CONFIRM_IDENTITY}?{urlencode({'next': next_path})}"
        answer = self.submit(page, {"code": self._fresh_code()}, follow=False)
        if answer.status != 302 or self._local(answer.location) != next_path:
            raise HttpClientError(f"the fresh security code was refused: {answer.status}")
        return answer

    def download(self, path: str) -> Response:
        """A PDF or an export, giving a fresh security code if the server asks for one."""
        answer = self.get(path, follow=False)
        if answer.status == 302 and self._local(answer.location).startswith(CONFIRM_IDENTITY):
            self.confirm_identity(path)
            answer = self.get(path, follow=False)
        return answer

    def _fresh_code(self) -> str:
        if self._code is None:
            raise HttpClientError("sign in first")
        while int(time.time()) // TOTP_STEP_SECONDS <= self._last_code_step:
            time.sleep(0.5)  # the step's code was used: the server refuses it a second time
        code = self._code()
        self._last_code_step = int(time.time()) // TOTP_STEP_SECONDS  # the code's step is at most this one
        return code
