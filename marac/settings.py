"""Settings for MARAC case coordination: one module, read from the environment.

MARAC_ENV is `dev`, `test` or `production`. It defaults to production because the safe failure
is a service that refuses to start without its secrets, not one that starts with made-up ones.
Every variable is documented in .env.example.
"""

import secrets
from collections.abc import Callable
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from marac.env import env_bool, env_choice, env_int, env_list, env_secret, env_str
from marac.security.keyring import INDEX_NAMES, Keyring, KeyringError, new_keyring_json

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

MARAC_ENV = env_choice("MARAC_ENV", ("dev", "test", "production"), default="production")
PRODUCTION = MARAC_ENV == "production"

DEBUG = env_bool("MARAC_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("MARAC_DEBUG must be off in production: debug pages show data.")


def _secret(name: str, *, dev_file: Path, test_value: Callable[[], str]) -> str:
    """A secret from the environment; in dev, from the file `make run` creates; in test, random.
    Production has no fallback: it refuses to start."""
    value = env_secret(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in production.")
    if MARAC_ENV == "test":
        return test_value()
    try:
        return dev_file.read_text(encoding="utf-8")
    except OSError:
        raise ImproperlyConfigured(f"{dev_file} is missing: run `make run` or `python -m marac.devkeys var`.") from None


SECRET_KEY = _secret("SECRET_KEY", dev_file=VAR_DIR / "dev-secret-key", test_value=lambda: secrets.token_urlsafe(64))
# Earlier secret keys, still accepted while a rotation settles (SECURITY.md, "Rotating the secret
# key"): signatures and the partner API's idempotency digests made under them still match, and
# everything new is made under SECRET_KEY. Separated by spaces or newlines; none by default.
SECRET_KEY_FALLBACKS = (env_secret("SECRET_KEY_FALLBACKS") or "").split()


def _unfit_secret_key(key: str) -> bool:
    """Short, repetitive, or holding whitespace, which would split it once it became a fallback."""
    return len(key) < 50 or len(set(key)) < 5 or any(character.isspace() for character in key)


if PRODUCTION and _unfit_secret_key(SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters, without spaces.")
if PRODUCTION and any(_unfit_secret_key(key) for key in SECRET_KEY_FALLBACKS):
    raise ImproperlyConfigured("Each of SECRET_KEY_FALLBACKS must be at least 50 random characters.")
try:
    MARAC_KEYRING = Keyring.from_json(
        _secret("MARAC_KEYRING", dev_file=VAR_DIR / "dev-keyring.json", test_value=lambda: new_keyring_json("test"))
    )
except KeyringError as error:
    raise ImproperlyConfigured(f"MARAC_KEYRING: {error}") from None
if missing_index_keys := set(INDEX_NAMES) - set(MARAC_KEYRING.index_keys):
    raise ImproperlyConfigured(f"MARAC_KEYRING has no index_keys for: {', '.join(sorted(missing_index_keys))}.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the service's host names in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Number of reverse proxies in front of the app that append to X-Forwarded-For. 0 means the
# app is reached directly and X-Forwarded-For is ignored (see marac/client_ip.py).
MARAC_TRUSTED_PROXY_COUNT = env_int("MARAC_TRUSTED_PROXY_COUNT", 0, minimum=0)
# The proxies' own addresses (networks allowed): X-Forwarded-For is believed only from them.
try:
    MARAC_TRUSTED_PROXY_NETWORKS = [ip_network(n) for n in env_list("MARAC_TRUSTED_PROXY_NETWORKS")]
except ValueError:
    raise ImproperlyConfigured("MARAC_TRUSTED_PROXY_NETWORKS must be IP networks, such as 10.0.0.0/24.") from None
if MARAC_TRUSTED_PROXY_COUNT and not MARAC_TRUSTED_PROXY_NETWORKS:
    raise ImproperlyConfigured("MARAC_TRUSTED_PROXY_COUNT needs MARAC_TRUSTED_PROXY_NETWORKS: the proxies' addresses.")
if env_bool("MARAC_PROXY_SETS_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "marac.apps.MaracAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # Django's widget templates, for the project form renderer
    # django-otp's core only: its TOTP and backup-code plugins stored secrets in the clear; our
    # devices (marac.second_factor, ADR 0022) seal them, and migration marac 0008 dropped theirs.
    "django_otp",
    "axes",
    "guardian",
    "simple_history",
    "csp",
    "marac.apps.MaracConfig",
    "referrals",
    "meetings",
    "reports",
    "audit",
    "audit.workspace.apps.AuditWorkspaceConfig",
    "rest_framework",
    "drf_spectacular",
    "oauth2_provider",
    "imports",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "marac.middleware.SessionPolicyMiddleware",
    "marac.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "marac.middleware.PrivateResponseHeadersMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "marac.middleware.IntegrityFailureMiddleware",
    "marac.middleware.RefusalsLoggedMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "marac.urls"
WSGI_APPLICATION = "marac.wsgi.application"
AUTH_USER_MODEL = "marac.User"
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marac.navigation.navigation",
            ],
        },
    },
]
# Forms render through project templates that emit GOV.UK Design System markup.
FORM_RENDERER = "marac.govuk_forms.GovukFormRenderer"

_database_url = env_str("DATABASE_URL") or (None if PRODUCTION else f"sqlite:///{VAR_DIR / 'marac.sqlite3'}")
if _database_url is None:
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")
# Production keeps connections open between requests (a new PostgreSQL connection per request
# cost gunicorn about three quarters of its throughput on /healthz), checked before each reuse so
# a restarted database costs one failed check, not a failed request.
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0),
        conn_health_checks=True,
    )
}
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # The append-only audit trigger and the reports rely on PostgreSQL (docs/adr/0002).
    raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL database in production.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database holds a small office: page views write access events, so readers
    # also write. WAL lets reads go on during a write; IMMEDIATE takes the write lock when a
    # transaction begins, so a busy writer makes the others wait (up to the timeout) instead of
    # failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sessions (DESIGN 4.6) ---
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out accounts and addresses
    "django.contrib.auth.backends.ModelBackend",  # refuses inactive users on every request
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    # Tests alone hash at Argon2's smallest costs (marac/hashers.py): same algorithm and format.
    "marac.hashers.QuickArgon2PasswordHasher" if MARAC_ENV == "test" else "django.contrib.auth.hashers.Argon2PasswordHasher"
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"  # server-side, so a session can be ended
MARAC_SESSION_IDLE_SECONDS = env_int("MARAC_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
MARAC_SESSION_MAX_SECONDS = env_int("MARAC_SESSION_MAX_SECONDS", 10 * 60 * 60, minimum=60)
SESSION_COOKIE_AGE = MARAC_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "marac.views.csrf_failure"

OTP_TOTP_ISSUER = "MARAC case coordination"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
MARAC_BACKUP_CODE_COUNT = 10

# Two counters (marac/lockout.py, ADR 0022): a username at one address locks after 5 failures, a
# username from anywhere after 10 (a guesser spread over many addresses). Never an address alone:
# one office shares one address, and anyone there could lock every colleague out. An address with
# many failures across usernames is slowed down instead, never locked.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]  # this order: lockout.py reads it
AXES_HANDLER = "marac.lockout.UsernameLockoutHandler"
MARAC_ACCOUNT_FAILURE_LIMIT = 10
MARAC_ADDRESS_SLOWDOWN_AFTER = 20
MARAC_ADDRESS_SLOWDOWN_SECONDS = 15
MARAC_ADDRESS_SLOWDOWN_MAX_SECONDS = 300
AXES_CLIENT_IP_CALLABLE = "marac.client_ip.client_ip"
AXES_COOLOFF_TIME = env_int("MARAC_LOCKOUT_HOURS", 1, minimum=1)
# Not on a correct password: that would let anyone who knows one password wipe the failures
# counted against their address, or against a stolen account's security codes. Failures are
# cleared only once both factors succeed (signin_views._complete_sign_in).
AXES_RESET_ON_SUCCESS = False
# Masked in the attempt records administrators can read; the password is always masked. Every
# form that counts a failure towards lockout (marac/signin_views.py) must have its secret fields
# here: a wrong current password at password change posts the new password as well.
AXES_SENSITIVE_PARAMETERS = ["code", "csrfmiddlewaretoken", "old_password", "new_password1", "new_password2"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous people see nothing

# How long break-glass access to a case lasts.
MARAC_BREAK_GLASS_MINUTES = env_int("MARAC_BREAK_GLASS_MINUTES", 60, minimum=1)
MARAC_BREAK_GLASS_PER_DAY = env_int("MARAC_BREAK_GLASS_PER_DAY", 3, minimum=1)
# What the auditor's anomaly report flags (DESIGN 4.5).
MARAC_AUDIT_VIEWS_PER_HOUR = env_int("MARAC_AUDIT_VIEWS_PER_HOUR", 30, minimum=1)
MARAC_AUDIT_DENIED_BURST = env_int("MARAC_AUDIT_DENIED_BURST", 5, minimum=1)
# Refused emergency access asks, or asks for cases in other areas, by one person in a day that
# the anomalies page shows as guessing references (ADR 0020).
MARAC_AUDIT_EMERGENCY_GUESSES = env_int("MARAC_AUDIT_EMERGENCY_GUESSES", 3, minimum=1)
MARAC_AUDIT_WORKING_HOURS = (env_int("MARAC_AUDIT_DAY_STARTS", 7, minimum=0), env_int("MARAC_AUDIT_DAY_ENDS", 19, minimum=1))
# Limits on the child process that renders one PDF (DESIGN 4.7, ADR 0010).
MARAC_PDF_TIMEOUT_SECONDS = env_int("MARAC_PDF_TIMEOUT_SECONDS", 120, minimum=1)
MARAC_PDF_MEMORY_MB = env_int("MARAC_PDF_MEMORY_MB", 1536, minimum=256)

# --- Background work on Celery (docs/adr/0016-background-work-on-celery.md) ---
# Production: Redis. `make run`: a broker on the local disk (var/broker), so the demo needs no
# server but itself. Tests: a task runs in the test process when it is queued, unless a test
# starts a real worker. Messages carry ids only, never personal data: the broker is not encrypted.
_default_broker = None if PRODUCTION else "filesystem://localhost/"  # a host named, or kombu warns
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL") or _default_broker  # may hold a password: _FILE allowed
if CELERY_BROKER_URL is None:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be set in production (redis://host:6379/0).")
if PRODUCTION:
    _broker = urlsplit(CELERY_BROKER_URL)
    if _broker.scheme not in ("redis", "rediss", "redis+socket"):
        raise ImproperlyConfigured("CELERY_BROKER_URL must be a Redis broker in production (redis://, rediss:// or redis+socket://).")
    # Anyone who can write to the broker can queue work: across a network it needs a password or TLS.
    if _broker.scheme == "redis" and _broker.hostname not in ("localhost", "127.0.0.1", "::1") and not _broker.password:
        raise ImproperlyConfigured("CELERY_BROKER_URL to another host needs a password (redis://:PASSWORD@host) or rediss://.")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)  # kombu refuses to start without it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),  # else kombu writes ./control wherever it runs
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("MARAC_TASKS_IN_PROCESS", MARAC_ENV == "test")
if PRODUCTION and CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("MARAC_TASKS_IN_PROCESS is for tests: production runs tasks on workers.")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"  # never pickle: a message must not be able to run code
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # outcomes are kept in the service's own tables (a pack's status, say)
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is run again: every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # tasks are long (a pack takes seconds): no worker hoards them
CELERY_TASK_SOFT_TIME_LIMIT = env_int("MARAC_TASK_TIME_LIMIT_SECONDS", 600, minimum=30)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 30
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep LOGGING below: ids and event names only
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request queueing work waits at most about two seconds for an unreachable broker
# (marac/background.py then logs it and the request goes on).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "Europe/London"
# No remote control (`celery control shutdown`, rate limits...) through the broker: a worker is
# run and stopped by its process manager, and a broker writer cannot stop them.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False

# Stored meeting packs (docs/adr/0017): kept this many days after the meeting, then removed.
MARAC_STORED_PACK_DAYS = env_int("MARAC_STORED_PACK_DAYS", 28, minimum=1)

# Reminders (meetings/reminders.py): research is due this many working days before its meeting.
MARAC_RESEARCH_DUE_WORKING_DAYS = env_int("MARAC_RESEARCH_DUE_WORKING_DAYS", 3, minimum=1)

# --- Email: content-free notices, sent by workers (never a name, a reference or typed text) ---
MARAC_SITE_URL = env_str("MARAC_SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MARAC case coordination <no-reply@localhost>")
if PRODUCTION or env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 587 if PRODUCTION else 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", PRODUCTION)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Transport and browser hardening ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("MARAC_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers often probe over plain HTTP inside the network
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for this exact host, path /.
    SESSION_COOKIE_NAME = "__Host-marac-session"
    CSRF_COOKIE_NAME = "__Host-marac-csrf"
    SECURE_HSTS_SECONDS = env_int("MARAC_HSTS_SECONDS", 63072000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No inline script or style anywhere: the GOV.UK Frontend bootstrap lives in static/js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Static files: GOV.UK Frontend compiled at install into frontend/dist (not committed) ---
STATIC_URL = "/static/"
# collectstatic target, production only (dev and test serve straight from the finders).
STATIC_ROOT = env_str("MARAC_STATIC_ROOT", str(BASE_DIR / "var" / "static")) if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "frontend" / "dist"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # production serves what collectstatic gathered
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# Log event names and ids only: never request bodies, never personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("MARAC_LOG_LEVEL", "INFO")},
    # django-axes logs the typed username at WARNING; people sometimes type a password there.
    "loggers": {"axes": {"level": "ERROR"}},
}

# --- The partner API (issue 19, ADR 0030): OAuth2 client credentials only ---
# The RFC 9700 (OAuth 2.0 Security BCP) behaviours django-oauth-toolkit will make the default in
# 4.0, adopted now: tokens stored as hashes, never in a URL, no implicit or password grant, https
# redirect URIs only (no grant here redirects at all).
OAUTH2_PROVIDER = {
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,  # nosec B105  # a setting's name, not a password
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # nosec B105  # a setting's name, not a password
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # nosec B105  # a setting's name, not a password
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,  # nosec B105  # a setting's name, not a password
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # nosec B105  # a setting's name, not a password
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "CIMD_ENABLED": False,  # never fetch a URL given as a client id (off by default today; kept off)
    # Short-lived tokens and no refresh tokens: a partner system asks again with its secret.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("MARAC_API_TOKEN_SECONDS", 600, minimum=60),
    "SCOPES": {"partner": "The partner API, within the client's agency and areas"},
    "DEFAULT_SCOPES": ["partner"],
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.PartnerOAuth2Validator",
}
# Named so the api app's migrations can depend on the (swappable) application model.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# The most a request body to /api/v1/ may be: a referral with every note at its limit fits easily.
MARAC_API_MAX_BODY_BYTES = env_int("MARAC_API_MAX_BODY_BYTES", 256 * 1024, minimum=16 * 1024)
REST_FRAMEWORK = {
    # A bearer token of an active partner client is the only way in: no session, so no CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.PartnerClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PartnerClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_read": env_str("MARAC_API_READ_RATE", "600/min"),
        "api_write": env_str("MARAC_API_WRITE_RATE", "60/min"),
        "api_token": env_str("MARAC_API_TOKEN_RATE", "30/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.problem_details",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_METADATA_CLASS": None,  # no OPTIONS description: the schema is the description (405)
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MARAC partner API",
    "DESCRIPTION": "Submit referrals with their risk checklist, read their status and decision, and keep your "
    "agency's actions up to date. Off unless a client is configured (docs/partner-api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "api.serializers.STATUSES",
        "ActionStatusEnum": "api.serializers.ACTION_STATUSES",
        "YesNoNotKnownEnum": "api.serializers.YES_NO_NOT_KNOWN",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.problem_responses"],
}
# Rate-limit counters, shared by every web process in production (Redis: MARAC_CACHE_URL, or the
# Celery broker's); each process's own memory in dev and test.
_cache_url = env_secret("MARAC_CACHE_URL") or (CELERY_BROKER_URL.replace("redis+socket://", "unix://", 1) if PRODUCTION else None)
if _cache_url and urlsplit(_cache_url).scheme in ("redis", "rediss", "unix"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url, "KEY_PREFIX": "marac-cache"}}
elif PRODUCTION:
    raise ImproperlyConfigured("MARAC_CACHE_URL must be a Redis URL in production (redis:// or rediss://).")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
