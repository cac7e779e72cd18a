"""Top-level URL map: browser pages per app, the versioned REST API, health."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import webauthn_urls
from config.health import healthz
from core.views import login_required

# Swagger UI with its start-up script served from a URL of its own (no inline script);
# its page keeps one small inline <style> block, so that page alone allows inline styles.
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

api_v1 = [
    path("", include("incidents.api.urls")),
    path("", include("disclosures.api.urls")),
    path("", include("evidence.api.urls")),
    path("", include("observables.api.urls")),
    path("", include("dashboard.audit_api_urls")),
    path("", include("dashboard.api.urls")),
    path("", include("intake.api.urls")),
]

urlpatterns = [
    # First: dashboard.urls also serves incidents/<pk>/report/ (dashboard:incident_report),
    # which must resolve before the incidents include below.
    path("", include("dashboard.urls")),
    path("healthz", healthz, name="healthz"),
    path("accounts/webauthn/", include("accounts.webauthn_urls")),
    path("accounts/", include("accounts.urls")),
    # Security-key and passkey ceremonies: Cordon's views under the package's names.
    path("webauthn/", include((webauthn_urls.ceremony_urlpatterns, "otp_webauthn"))),
    path("incidents/", include("incidents.urls")),
    path("evidence/", include("evidence.urls")),
    path("disclosures/", include("disclosures.urls")),
    path("observables/", include("observables.urls")),
    path("intake/", include("intake.urls")),
    path("audit/", include("dashboard.audit_urls")),
    path("webhooks/", include("dashboard.webhook_urls")),
    path("notifications/", include("notifications.urls")),
    path(
        "shortcuts/",
        login_required(TemplateView.as_view(template_name="shortcuts.html")),
        name="shortcuts",
    ),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
]
# Django's admin, off in production unless ADMIN_ENABLED (config/settings/security.py).
if settings.ADMIN_ENABLED:
    urlpatterns.append(path("admin/", admin.site.urls))
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
