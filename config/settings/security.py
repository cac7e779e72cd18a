"""Who may sign in and how: authentication, WebAuthn, sessions, cookies, HTTP headers."""

from datetime import timedelta

from config.settings.base import IS_PRODUCTION, env

# --- Authentication --------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/incidents/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user name and address before the password.
    "axes.backends.AxesStandaloneBackend",
    # Permissions only (it authenticates no one): all of a person's, in one query.
    "accounts.permissions_backend.PermissionsInOneQuery",
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
# Django's admin at /admin/: staff, with a verified session. It has none of Cordon's own
# pages' rules (services, step-up, four eyes), so production serves it only when asked.
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=not IS_PRODUCTION)
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
