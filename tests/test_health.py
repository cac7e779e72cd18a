"""/healthz: the database always, the broker when one is configured (CONTRACT.md)."""

import pytest

pytestmark = pytest.mark.django_db

REACHABLE_BROKER = "redis://127.0.0.1:6379/15"
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def test_without_a_broker_health_is_ok_and_the_broker_disabled(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "disabled"}


def test_a_reachable_broker_is_ok(client, settings):
    settings.CELERY_BROKER_URL = REACHABLE_BROKER
    response = client.get("/healthz")
    if response.json()["broker"] == "error":
        pytest.skip(f"no Redis at {REACHABLE_BROKER}")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_an_unreachable_broker_is_503(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_an_unreachable_database_is_503(client, settings, monkeypatch):
    from django.db import OperationalError

    from config import health

    def refuse(self):
        raise OperationalError("connection refused")

    settings.CELERY_BROKER_URL = ""
    monkeypatch.setattr(health.connection, "cursor", refuse.__get__(health.connection))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_health_needs_no_login_and_is_never_cached(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response.headers["Cache-Control"]


def test_health_answers_get_only(client):
    assert client.post("/healthz").status_code == 405
