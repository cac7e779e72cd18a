"""The production profile's security settings, read from a fresh interpreter per case."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILE_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "CORDON_ENV",
    "ALLOWED_HOSTS",
    "MAINTENANCE_MODE",
    "SITE_URL",
    "ADMIN_ENABLED",
    "AUDIT_SIGNING_KEY",
    "AUDIT_SIGNING_KEY_FILE",
}
# A base64 Ed25519 seed: production refuses to start without a checkpoint signing key.
SIGNING_KEY = "A" * 43 + "="
PROBE = """
import json
from django.conf import settings
import django
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_CONTENT_TYPE_NOSNIFF": settings.SECURE_CONTENT_TYPE_NOSNIFF,
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SITE_URL": settings.SITE_URL,
    "first_hasher": settings.PASSWORD_HASHERS[0],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "ADMIN_ENABLED": settings.ADMIN_ENABLED,
    "admin_routed": any(
        str(pattern.pattern) == "admin/" for pattern in __import__("config.urls").urls.urlpatterns
    ),
}))
"""


def _settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in PROFILE_VARIABLES}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=clean, cwd=ROOT, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings(CORDON_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _settings(CORDON_ENV="production", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_refuses_to_start_without_the_site_url():
    result = _settings(CORDON_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cordon.example")
    assert result.returncode != 0
    assert "SITE_URL must be set in production" in result.stderr


def test_production_refuses_to_start_without_the_audit_signing_key():
    result = _settings(
        CORDON_ENV="production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="cordon.example",
        SITE_URL="https://cordon.example/",
    )
    assert result.returncode != 0
    assert "AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE must be set in production" in result.stderr


def test_production_profile_turns_every_transport_protection_on():
    result = _settings(
        CORDON_ENV="production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="cordon.example",
        SITE_URL="https://cordon.example/",
        AUDIT_SIGNING_KEY=SIGNING_KEY,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["first_hasher"].endswith("Argon2PasswordHasher")
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["ALLOWED_HOSTS"] == ["cordon.example"]
    assert values["SITE_URL"] == "https://cordon.example"
    assert values["ADMIN_ENABLED"] is False
    assert values["admin_routed"] is False


def test_production_serves_the_admin_only_when_asked():
    result = _settings(
        CORDON_ENV="production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="cordon.example",
        SITE_URL="https://cordon.example/",
        AUDIT_SIGNING_KEY=SIGNING_KEY,
        ADMIN_ENABLED="1",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["admin_routed"] is True


def test_development_serves_on_loopback_without_configuration():
    result = _settings(DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1" in json.loads(result.stdout)["ALLOWED_HOSTS"]
    assert json.loads(result.stdout)["admin_routed"] is True


@pytest.mark.parametrize(("broker", "eager"), [("", True), ("redis://127.0.0.1:6379/15", False)])
def test_tasks_run_in_process_only_without_a_broker(broker, eager):
    result = _settings(CELERY_BROKER_URL=broker, DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["eager"] is eager


def test_sqlite_is_the_embedded_default():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["db_engine"] == "django.db.backends.sqlite3"


@pytest.mark.django_db
def test_evidence_uploads_have_their_own_rate_limit(monkeypatch, lead):
    """A view that says throttle_scope = "uploads" is limited by API_THROTTLE_UPLOAD_RATE."""
    from django.conf import settings
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.throttling import ScopedRateThrottle
    from rest_framework.views import APIView

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["uploads"] == (
        settings.API_THROTTLE_UPLOAD_RATE
    )
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/hour"})

    class Upload(APIView):
        throttle_scope = "uploads"

        def post(self, request):
            return Response(status=201)

    class Other(APIView):
        def post(self, request):
            return Response(status=201)

    def send(view):
        request = APIRequestFactory().post("/upload/")
        force_authenticate(request, user=lead)
        return view.as_view()(request).status_code

    assert [send(Upload) for _ in range(3)] == [201, 201, 429]
    assert [send(Other) for _ in range(3)] == [201, 201, 201]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://tsa.example/", "tsa.example"])
def test_a_time_stamping_authority_that_is_not_http_is_refused(url):
    result = _settings(AUDIT_TSA_URL=url)
    assert result.returncode != 0
    assert "AUDIT_TSA_URL must be an https:// (or http://) URL" in result.stderr
