"""HTTP defences Django lacks: Permissions-Policy and Cross-Origin-Resource-Policy
headers, a Fetch Metadata resource-isolation policy, and the maintenance switch.

Each middleware answers without reading the session, so what it sends cannot tell
anyone whether the visitor is signed in.
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

HEALTH_PATH = "/healthz"
# Public, cacheable, possibly served from a CDN on another origin (STATIC_URL).
STATIC_PREFIX = "/static/"

# Sec-Fetch-Site values a page on another site can never produce.
TRUSTED_FETCH_SITES = frozenset({"same-origin", "same-site", "none"})
SAFE_NAVIGATION_METHODS = frozenset({"GET", "HEAD"})
CROSS_SITE_REFUSAL = "Refused: this address cannot be embedded in or fetched from another site.\n"


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer; CORP same-origin on all but static files.

    Static files are public and may be fetched by the pages from a CDN host, so they
    are `cross-origin`; everything else may only be read by Cordon's own pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}={allowlist}" for feature, allowlist in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        resource_policy = (
            "cross-origin" if request.path.startswith(STATIC_PREFIX) else "same-origin"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", resource_policy)
        return response


def is_cross_site_subresource(request) -> bool:
    """True for a request another site made that is not a top-level navigation.

    Browsers without Fetch Metadata send no Sec-Fetch-Site header, and neither do
    scripts and API clients: they pass (the header is a browser's statement, not a
    credential, and these requests carry none of the victim's cookies anyway).
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is None or site in TRUSTED_FETCH_SITES:
        return False
    is_navigation = (
        request.method in SAFE_NAVIGATION_METHODS
        and request.headers.get("Sec-Fetch-Mode") == "navigate"
        and request.headers.get("Sec-Fetch-Dest") == "document"
    )
    return not is_navigation


class FetchMetadataMiddleware:
    """Resource isolation: refuse what other sites' pages embed or fetch from Cordon.

    A link someone follows from elsewhere still works; an <img>, <script>, <iframe>,
    fetch() or form POST from another site gets one fixed 403, the same for visitors
    signed in or not, so no page elsewhere can learn whether its visitor uses Cordon.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        exempt = path == HEALTH_PATH or path.startswith(STATIC_PREFIX)
        if not exempt and is_cross_site_subresource(request):
            response = HttpResponse(
                CROSS_SITE_REFUSAL, status=403, content_type="text/plain; charset=utf-8"
            )
            response["Cache-Control"] = "no-store"
            response["Vary"] = "Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest"
            return response
        return self.get_response(request)


class MaintenanceModeMiddleware:
    """With MAINTENANCE_MODE on, every path but /healthz gets the maintenance page (503).

    The page is rendered once, without a request: no database, no session.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.page = render_to_string("maintenance.html") if settings.MAINTENANCE_MODE else ""

    def __call__(self, request):
        if not settings.MAINTENANCE_MODE or request.path == HEALTH_PATH:
            return self.get_response(request)
        response = HttpResponse(self.page or render_to_string("maintenance.html"), status=503)
        response["Retry-After"] = str(settings.MAINTENANCE_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
