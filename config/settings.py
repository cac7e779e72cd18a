"""Cordon settings: one module, driven by environment variables only.

Every value has a safe default for a first run on one machine (SQLite file,
tasks in-process, local evidence folder). Security behaviour never depends on
DEBUG; production-only requirements raise ImproperlyConfigured.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Core ------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
CORDON_ENV = env.str("CORDON_ENV", default="development")
IS_PRODUCTION = CORDON_ENV == "production"


def _development_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts; never committed."""
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where people reach Cordon: the start of every link in a message (e-mail, webhook).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
if not SITE_URL:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SITE_URL must be set in production (https://cordon.example).")
    SITE_URL = "http://127.0.0.1:8000"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Cordon apps, in dependency order (each imports only those below it).
    "dashboard",
    "evidence",
    "disclosures",
    "incidents",
    "accounts",
    "audit",
    "notifications",
    "core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Headers on every answer, static files and refusals included.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.MaintenanceModeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestContextMiddleware",
    # Before the session is read: its refusal cannot depend on who is signed in.
    "config.security.FetchMetadataMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # Last, as django-axes asks: it turns a lockout into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Database --------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions take the write lock up front, so two writers can
    # never read the same audit chain head (SQLite has no row locks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://cordon")}

# The test suite runs in several pytest-xdist processes against one Redis: each one
# keeps its cache keys under its own prefix and sends its tasks to its own queue, so a
# Celery worker started by one process never runs another's tasks. Only xdist sets
# PYTEST_XDIST_WORKER.
TEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "")
if TEST_PROCESS:
    CACHES["default"]["KEY_PREFIX"] = f"cordon-{TEST_PROCESS}"

# --- Authentication --------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/incidents/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user name and address before the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STEP_UP_MAX_AGE = env.int("STEP_UP_MAX_AGE", default=300)
INVITATION_TTL_HOURS = env.int("INVITATION_TTL_HOURS", default=72)
# A lead's second-factor reset link works once, for this many hours.
FACTOR_RESET_TTL_HOURS = env.int("FACTOR_RESET_TTL_HOURS", default=24)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# Password reset requests (accounts/reset_requests.py), per PASSWORD_RESET_LIMIT_WINDOW
# seconds: at most this many mails per e-mail address asked for and per account, and this
# many requests from one client address. Past a limit the page answers as always and no
# mail goes out.
PASSWORD_RESET_LIMIT_WINDOW = env.int("PASSWORD_RESET_LIMIT_WINDOW", default=60 * 60)
PASSWORD_RESET_MAILS_PER_ADDRESS = env.int("PASSWORD_RESET_MAILS_PER_ADDRESS", default=3)
PASSWORD_RESET_MAILS_PER_ACCOUNT = env.int("PASSWORD_RESET_MAILS_PER_ACCOUNT", default=3)
PASSWORD_RESET_REQUESTS_PER_CLIENT = env.int("PASSWORD_RESET_REQUESTS_PER_CLIENT", default=10)

# Second factor (django-otp). Wrong codes back off exponentially per device.
OTP_TOTP_ISSUER = "Cordon"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
BACKUP_CODE_COUNT = 10

# Login defences (django-axes): lockout per user name and address, finite cool-off.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "audit.context.client_ip_of"
AXES_VERBOSE = False
# Addresses of reverse proxies whose X-Forwarded-For we believe; nobody else's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# --- WebAuthn --------------------------------------------------------------

# Security keys and passkeys (django-otp-webauthn) as one more kind of second factor,
# never instead of the password: Cordon always asks for password and second factor.
# Credentials are bound to the relying party id (the site's domain); changing it later
# orphans every registered key. Browsers accept http:// origins only for localhost.
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = "Cordon"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ALLOWED_ORIGINS",
    default=[f"https://{OTP_WEBAUTHN_RP_ID}"]
    + (["http://localhost:8000"] if OTP_WEBAUTHN_RP_ID == "localhost" else []),
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.webauthn.CordonWebAuthnHelper"

# --- Sessions, cookies and HTTP security headers ---------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
SESSION_ENGINE = "accounts.sessions"
# Idle timeout: the cookie and the server-side session expire this long after the
# last request. Absolute lifetime: a session ends this long after sign-in, busy or not.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # __Host- cookies are refused by browsers unless Secure, host-only and Path=/.
    SESSION_COOKIE_NAME = "__Host-cordon_session"
    CSRF_COOKIE_NAME = "__Host-cordon_csrf"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. The
# one exception, the API docs page, is made on that view (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page needs are off; WebAuthn only for this origin (config/security.py).
PERMISSIONS_POLICY = {
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
    "publickey-credentials-get": "(self)",
    "publickey-credentials-create": "(self)",
}
# Maintenance: every answer but /healthz is the static maintenance page (503).
MAINTENANCE_MODE = env.bool("MAINTENANCE_MODE", default=False)
MAINTENANCE_RETRY_AFTER_SECONDS = env.int("MAINTENANCE_RETRY_AFTER_SECONDS", default=600)

# --- Internationalisation and time -----------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------

STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ----------------------------------------------------------------

vars().update(env.email("EMAIL_URL", default="consolemail://"))
if env.str("EMAIL_FILE_PATH", default=""):
    # For the file backend: django-environ reads a filemail:// path as relative.
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cordon@localhost")

# --- Evidence --------------------------------------------------------------

EVIDENCE_STORAGE = env.str("EVIDENCE_STORAGE", default="local")
EVIDENCE_ROOT = env.path("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence"))
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024**3)
# How often celery beat re-hashes every stored item (evidence.tasks.evidence_verify_all).
EVIDENCE_VERIFY_EVERY_SECONDS = env.int("EVIDENCE_VERIFY_EVERY_SECONDS", default=24 * 60 * 60)
# That job hands the items to the workers in batches of at most this many items and
# bytes to hash, each batch well within the broker's visibility timeout (CELERY_*).
EVIDENCE_VERIFY_BATCH_ITEMS = env.int("EVIDENCE_VERIFY_BATCH_ITEMS", default=100)
EVIDENCE_VERIFY_BATCH_BYTES = env.int("EVIDENCE_VERIFY_BATCH_BYTES", default=1024**3)
# EVIDENCE_STORAGE=s3: an S3-compatible bucket through django-storages (MinIO, AWS, ...).
# Credentials come from the usual AWS_* variables or the instance role when unset.
EVIDENCE_S3_OPTIONS = {
    "bucket_name": env.str("EVIDENCE_S3_BUCKET", default=""),
    "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default="") or None,
    "region_name": env.str("EVIDENCE_S3_REGION", default="") or None,
    "access_key": env.str("EVIDENCE_S3_ACCESS_KEY_ID", default="") or None,
    "secret_key": env.str("EVIDENCE_S3_SECRET_ACCESS_KEY", default="") or None,
    "location": "evidence",
    "default_acl": None,
    "querystring_auth": True,
    "file_overwrite": False,
}
if EVIDENCE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("EVIDENCE_STORAGE must be 'local' or 's3'.")
if EVIDENCE_STORAGE == "s3" and not EVIDENCE_S3_OPTIONS["bucket_name"]:
    raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET.")

# --- Celery ----------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="cordon") + (
    f"-{TEST_PROCESS}" if TEST_PROCESS else ""
)
# A task taken by a worker that dies (acks_late) goes back to the queue after this many
# seconds; keep it above the longest task (hashing the largest evidence item).
# Idle workers look for such tasks every interval x throttle seconds (kombu's defaults).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}

# --- Incidents -------------------------------------------------------------

# Closing an incident of these severities needs a completed post-incident review
# (comma-separated; empty: never required).
REVIEW_REQUIRED_SEVERITIES = [
    severity.strip().lower()
    for severity in env.list("REVIEW_REQUIRED_SEVERITIES", default=["high", "critical"])
    if severity.strip()
]
if set(REVIEW_REQUIRED_SEVERITIES) - {"low", "medium", "high", "critical"}:
    raise ImproperlyConfigured(
        "REVIEW_REQUIRED_SEVERITIES takes low, medium, high and critical, comma-separated."
    )

# --- Disclosures -----------------------------------------------------------

# Also require an approval from someone in the legal role, besides a manager's.
DISCLOSURE_REQUIRE_LEGAL_APPROVAL = env.bool("DISCLOSURE_REQUIRE_LEGAL_APPROVAL", default=False)
# SEC 8-K: business days are counted in this zone and the filing is due by this time.
DISCLOSURE_SEC_TIME_ZONE = env.str("DISCLOSURE_SEC_TIME_ZONE", default="America/New_York")
DISCLOSURE_SEC_FILING_CUTOFF = env.str("DISCLOSURE_SEC_FILING_CUTOFF", default="17:30")
# Days the SEC is closed besides weekends and the federal holidays, which come from the
# `holidays` package (disclosures/deadlines.py), e.g. a closure ordered after its release.
DISCLOSURE_SEC_HOLIDAYS = env.list("DISCLOSURE_SEC_HOLIDAYS", default=[])
# When reminders go out before each deadline: "half" (half-time), "<n>h" (hours before
# the deadline), "overdue" (at the deadline). Each goes out once per disclosure.
DISCLOSURE_REMINDER_POINTS = env.list(
    "DISCLOSURE_REMINDER_POINTS", default=["half", "24h", "6h", "overdue"]
)
DISCLOSURE_REMINDER_INTERVAL = env.int("DISCLOSURE_REMINDER_INTERVAL", default=300)

# Periodic jobs (celery beat); each app adds its own entries here.
CELERY_BEAT_SCHEDULE = {
    "audit-verify-chain": {
        "task": "audit.tasks.audit_verify_chain",
        "schedule": env.int("AUDIT_VERIFY_EVERY_SECONDS", default=600),
    },
}
CELERY_BEAT_SCHEDULE["evidence-verify-all"] = {
    "task": "evidence.tasks.evidence_verify_all",
    "schedule": EVIDENCE_VERIFY_EVERY_SECONDS,
}
CELERY_BEAT_SCHEDULE["disclosures-send-reminders"] = {
    "task": "disclosures.tasks.send_disclosure_reminders",
    "schedule": DISCLOSURE_REMINDER_INTERVAL,
}

# --- Notifications ---------------------------------------------------------

# Webhooks: outbound URLs must be http(s) on public addresses unless this is on (tests,
# a receiver inside your own network).
NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = env.bool(
    "NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", default=False
)
NOTIFICATIONS_WEBHOOK_TIMEOUT = env.float("NOTIFICATIONS_WEBHOOK_TIMEOUT", default=10.0)
# After this many failed tries a delivery is dead (kept, shown, never tried again).
NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = env.int("NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS", default=8)
# Exponential backoff: base * 2^(tries-1), capped, with random jitter of up to half of it.
NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS = env.float(
    "NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS", default=30.0
)
NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS = env.float(
    "NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0
)
# Safety net: beat re-queues due retries whose task message was lost.
NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS = env.int("NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["notifications-webhook-sweep"] = {
    "task": "notifications.tasks.retry_due_webhooks",
    "schedule": NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS,
}
# CPU/memory spikes (audit/monitor.py): over a threshold for this long is one episode.
RESOURCE_CPU_PERCENT = env.float("RESOURCE_CPU_PERCENT", default=90.0)
RESOURCE_MEMORY_PERCENT = env.float("RESOURCE_MEMORY_PERCENT", default=90.0)
RESOURCE_SPIKE_SECONDS = env.int("RESOURCE_SPIKE_SECONDS", default=300)
RESOURCE_SAMPLE_SECONDS = env.int("RESOURCE_SAMPLE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["audit-sample-resources"] = {
    "task": "audit.tasks.audit_sample_resources",
    "schedule": RESOURCE_SAMPLE_SECONDS,
}

# --- Housekeeping ----------------------------------------------------------

# Bookkeeping rows are deleted this many days after they stopped being of use (idempotency
# records: after filing, never before IDEMPOTENCY_KEY_TTL_HOURS; sessions: after expiry;
# messages: after delivery), nightly at 03:30 UTC, or now by `manage.py purge_expired`.
IDEMPOTENCY_RETENTION_DAYS = env.int("IDEMPOTENCY_RETENTION_DAYS", default=2)
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
NOTIFICATION_RETENTION_DAYS = env.int("NOTIFICATION_RETENTION_DAYS", default=90)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=90)
if min(IDEMPOTENCY_RETENTION_DAYS, SESSION_RETENTION_DAYS, NOTIFICATION_RETENTION_DAYS,
       WEBHOOK_DELIVERY_RETENTION_DAYS) < 0:  # fmt: skip
    raise ImproperlyConfigured("The *_RETENTION_DAYS settings take 0 or more days.")
for _app in ("accounts", "notifications"):
    CELERY_BEAT_SCHEDULE[f"{_app}-purge-expired"] = {
        "task": f"{_app}.tasks.{_app}_purge_expired",
        "schedule": crontab(hour=3, minute=30),
    }

# --- REST API --------------------------------------------------------------

API_THROTTLE_USER_RATE = env.str("API_THROTTLE_USER_RATE", default="6000/hour")
API_THROTTLE_ANON_RATE = env.str("API_THROTTLE_ANON_RATE", default="120/hour")
API_THROTTLE_UPLOAD_RATE = env.str("API_THROTTLE_UPLOAD_RATE", default="600/hour")
# Bad tokens from one address within the window before it is refused outright (429).
API_BAD_TOKEN_LIMIT = env.int("API_BAD_TOKEN_LIMIT", default=20)
API_BAD_TOKEN_WINDOW = env.int("API_BAD_TOKEN_WINDOW", default=600)
# How deeply arrays and objects may nest in a JSON body (core/json.py): deeper is a 400.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 200
IDEMPOTENCY_KEY_TTL_HOURS = 24

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.json.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api.pagination.KeysetPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.api.throttling.TokenUserRateThrottle",
        "accounts.api.throttling.AnonymousRateThrottle",
        # Only for views that name a throttle_scope (evidence uploads: "uploads").
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"uploads": API_THROTTLE_UPLOAD_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cordon API",
    "DESCRIPTION": "Incident case management for CSIRTs. Authenticate with `Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several apps have a "status" or "kind" field; give each enum its own name.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.lifecycle.Status",
        "EvidenceStatusEnum": "evidence.models.Status",
        "DisclosureStatusEnum": "disclosures.lifecycle.DisclosureStatus",
        "EvidenceKindEnum": "evidence.models.Kind",
        "SystemKindEnum": "incidents.models.SystemKind",
    },
}

# --- Audit -----------------------------------------------------------------

# Model writes in these apps are captured into the audit log with their changes.
AUDIT_CAPTURED_APPS = ["accounts", "incidents", "evidence", "disclosures", "notifications"]
# Bookkeeping tables whose rows are not domain facts (captured nowhere).
AUDIT_CAPTURE_EXCLUDED_MODELS = [
    "accounts.idempotencyrecord",
    "accounts.usersession",
    "accounts.loginattempt",
    "incidents.referencecounter",
]
# Bulk updates that touch only these fields are bookkeeping, not domain changes: they
# are not captured (every other QuerySet.update/bulk_* of a captured model is).
AUDIT_BULK_BOOKKEEPING_FIELDS = {"accounts.apitoken": ["last_used_at"]}
# Refused requests (4xx) recorded per client address and minute; the rest go to the
# structured log only, so a scanner cannot flood the audit chain.
AUDIT_REFUSALS_PER_MINUTE = 120
# Never written to the audit log in clear, whatever the model.
AUDIT_REDACTED_FIELDS = ["password", "token_hash", "key", "secret", "session_key", "token"]
# ...and per model: message bodies (text and HTML) may carry one-time links (invitations).
AUDIT_REDACTED_MODEL_FIELDS = {"notifications.notification": ["body", "html_body"]}
# Signed chain heads (audit/chainhead.py): beat appends the current head, HMAC-signed, to
# this file outside the database, so a truncated or rewritten tail is detected by
# `verify_audit_chain --heads FILE`. Empty: off. Keep it where the database cannot write.
AUDIT_CHAIN_HEAD_FILE = env.str("AUDIT_CHAIN_HEAD_FILE", default="")
# The signing key; empty: derived from SECRET_KEY.
AUDIT_CHAIN_HEAD_KEY = env.str("AUDIT_CHAIN_HEAD_KEY", default="")
AUDIT_CHAIN_HEAD_EVERY_SECONDS = env.int("AUDIT_CHAIN_HEAD_EVERY_SECONDS", default=300)
if AUDIT_CHAIN_HEAD_FILE:
    CELERY_BEAT_SCHEDULE["audit-export-chain-head"] = {
        "task": "audit.tasks.audit_export_chain_head",
        "schedule": AUDIT_CHAIN_HEAD_EVERY_SECONDS,
    }

# --- Logging ---------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "audit.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
    },
}
