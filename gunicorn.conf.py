"""gunicorn's configuration for the web process: `gunicorn marac.wsgi` from the repository root
loads it (or `gunicorn -c gunicorn.conf.py marac.wsgi`). docs/deploy.md says how it is run.

Read from the environment with the same strict helpers as the settings, so a typo stops the
server instead of falling back. What matters for safety:

- Forwarded headers are believed only from MARAC_TRUSTED_PROXY_NETWORKS, the same networks the
  app believes X-Forwarded-For from (marac/client_ip.py). gunicorn's own default trusts
  127.0.0.1, so anything on the machine could claim HTTPS; with no networks set, no one is trusted.
- The access log has the path, never the query string (search terms, names typed into a search
  box) and never the Referer (which carries the previous page's query string). Error-log lines
  that quote a request line lose its query string too.
"""

import logging
import os
import re
from ipaddress import ip_network
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from gunicorn.glogging import Logger

from marac.env import env_bool, env_int, env_list, env_str


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the machine's
    except AttributeError:
        return os.cpu_count() or 1


# 2 x cores + 1 keeps a core busy while another worker waits on the database, but no more than 8:
# each worker keeps its own database connections and may render PDFs in child processes of up
# to MARAC_PDF_MEMORY_MB each, so past that add machines (docs/deploy.md), not workers.
workers = env_int("MARAC_WEB_WORKERS", min(2 * _cores() + 1, 8), minimum=1)
# 1: sync workers, one request at a time each, behind a proxy that buffers slow clients (nginx).
# More: threaded workers, each thread with its own database connection.
threads = env_int("MARAC_WEB_THREADS", 1, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"

bind = env_list("MARAC_WEB_BIND", ["127.0.0.1:8000"])  # host:port or unix:/run/marac/web.sock

# A PDF rendered in the request (when no stored pack is ready) may take up to the render limit;
# a sync worker silent for longer than this is killed. The margin covers the page around it.
timeout = env_int("MARAC_PDF_TIMEOUT_SECONDS", 120, minimum=1) + 30
graceful_timeout = timeout  # on restart, a download in progress may finish
keepalive = 5  # threaded workers only; sync workers close after each response

# Requests are small forms and short paths: refuse anything much larger before Django sees it.
limit_request_line = 4094
limit_request_fields = 64
limit_request_field_size = 8190

# Replace each worker after about a thousand requests, spread out so they do not all restart at
# once: bounds the memory a long-lived worker can accumulate.
max_requests = 1000
max_requests_jitter = 100

# The heartbeat file is touched constantly: on a RAM-backed file system a slow disk cannot make
# gunicorn think a worker has hung.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108  # nosec B108

# Settings, keys and code are loaded once, before the workers fork: less memory, and a bad
# setting stops the server at once with its message. A new release therefore needs a restart.
preload_app = True
proc_name = "marac-web"
# gunicorn 25+ opens a control socket that can change the number of workers: not needed here.
control_socket_disable = True

# --- Which proxy headers are believed, and from whom ---
try:
    _proxies = [str(ip_network(n)) for n in env_list("MARAC_TRUSTED_PROXY_NETWORKS")]
except ValueError:
    raise ImproperlyConfigured("MARAC_TRUSTED_PROXY_NETWORKS must be IP networks, such as 10.0.0.0/24.") from None
forwarded_allow_ips = ",".join(_proxies)  # empty: no address is trusted (a unix socket always is)
# Only the one header the proxy is documented to set, and only when the operator says it does.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"} if env_bool("MARAC_PROXY_SETS_X_FORWARDED_PROTO", False) else {}
# No SCRIPT_NAME or PATH_INFO from a proxy: the service is mounted at /.
forwarder_headers = ""

# --- Logs: to stdout (access) and stderr (errors), for the journal ---
accesslog = "-"
errorlog = "-"
loglevel = env_str("MARAC_LOG_LEVEL", "INFO").lower()
# Time, worker, peer, method, path without the query string, status, bytes, milliseconds. Not %(r)s
# (the request line has the query string), not %(q)s, not %(f)s (Referer), not the user agent.
access_log_format = '%(t)s %(p)s %(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

_QUERY = re.compile(r"\?[^\s'\"]+")


class _NoQueryStrings(logging.Filter):
    """A request gunicorn cannot parse, or an error that escapes the app, is logged with its
    request line: keep the path, drop the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _QUERY.search(message):
            record.msg, record.args = _QUERY.sub("?[query removed]", message), ()
        return True


class PathOnlyLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, _NoQueryStrings) for f in log.filters):
                log.addFilter(_NoQueryStrings())


logger_class = PathOnlyLogger
