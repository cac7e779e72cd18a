"""Security headers on HTML, API and static answers; the strict CSP and the one page
that relaxes it; static files public and cacheable for ever; maintenance mode."""

import pytest
from django.templatetags.static import static
from django.test import override_settings

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

STRICT_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def _csp(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


def _assert_hardened(response, *, resource_policy="same-origin"):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == resource_policy
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    assert "publickey-credentials-get=(self)" in policy
    assert "publickey-credentials-create=(self)" in policy


def test_login_page_has_every_header_and_a_strict_csp(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    _assert_hardened(response)
    assert _csp(response) == STRICT_CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/", "/incidents/", "/incidents/new/", "/accounts/security/", "/audit/"]
)
def test_signed_in_pages_keep_the_strict_csp(client, lead, path):
    sign_in(client, lead)
    response = client.get(path)
    assert response.status_code == 200
    _assert_hardened(response)
    assert _csp(response) == STRICT_CSP


def test_pages_carry_no_inline_script_or_style(client, lead, incident):
    sign_in(client, lead)
    for path in ("/", "/incidents/", f"/incidents/{incident.pk}/", "/accounts/security/"):
        body = client.get(path).content.decode()
        assert "<script>" not in body and "<style" not in body, path
        assert " style=" not in body and " onclick=" not in body, path


def test_api_answers_are_hardened(token_client, lead):
    response = token_client(lead).get("/api/v1/incidents/")
    assert response.status_code == 200
    _assert_hardened(response)


def test_refusals_are_hardened_too(client):
    response = client.get("/healthz", HTTP_SEC_FETCH_SITE="cross-site", HTTP_SEC_FETCH_MODE="cors")
    _assert_hardened(response)
    refused = client.get(
        "/incidents/", HTTP_SEC_FETCH_SITE="cross-site", HTTP_SEC_FETCH_MODE="cors"
    )
    assert refused.status_code == 403
    _assert_hardened(refused)


def test_hsts_is_sent_in_production_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_api_docs_work_without_any_inline_script(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>" not in body
    policy = _csp(page)
    assert "script-src 'self'" in policy
    assert "style-src 'self' 'unsafe-inline'" in policy
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_relaxed_style_policy_stays_on_the_docs_page(client):
    assert "unsafe-inline" not in client.get("/api/schema/")["Content-Security-Policy"]


def test_static_files_are_public_and_cached_for_ever(client, lead):
    sign_in(client, lead)  # a signed-in browser: still no cookie on a static answer
    url = static("css/cordon.css")
    assert url != "/static/css/cordon.css", "names must be hashed"
    response = client.get(url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    assert "max-age=315360000" in cache_control
    assert "Set-Cookie" not in response
    assert "cookie" not in response.get("Vary", "").lower()
    _assert_hardened(response, resource_policy="cross-origin")


def test_static_files_are_served_to_anonymous_visitors(client):
    response = client.get(static("js/cordon.js"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response and not response.cookies


@override_settings(MAINTENANCE_MODE=True)
def test_maintenance_mode_serves_the_maintenance_page_to_everything_but_health(
    client, token_client, lead
):
    for path in ("/", "/accounts/login/", "/incidents/", "/api/v1/incidents/", "/static/x.css"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "down for maintenance" in response.content.decode()
        assert response["Retry-After"].isdigit()
        assert "Set-Cookie" not in response
    assert token_client(lead).post("/api/v1/incidents/", {}).status_code == 503
    assert client.get("/healthz").status_code == 200
