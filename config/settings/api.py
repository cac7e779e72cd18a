"""The REST API: authentication, throttling, pagination, errors, OpenAPI."""

from config.settings.base import env

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
        "TaskStatusEnum": "incidents.models.TaskStatus",
        "AlertStatusEnum": "intake.models.AlertStatus",
    },
}
