"""Refused and failed requests are audited; a server error shows a correlation id, no trace."""

import json
import logging

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from audit.logging import JsonFormatter
from audit.models import AuditEvent
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.boom_urls")
def test_a_server_error_shows_the_request_id_and_is_audited(lead):
    client = Client(raise_request_exception=False)
    sign_in(client, lead)

    response = client.get("/boom/", HTTP_X_REQUEST_ID="corr-1234567890")

    assert response.status_code == 500
    body = response.content.decode()
    assert "corr-1234567890" in body
    assert "RuntimeError" not in body and "simulated failure" not in body
    event = AuditEvent.objects.get(action="http.500")
    assert event.request_id == "corr-1234567890"
    assert event.outcome == "failure"
    assert event.data["path"] == "/boom/"


def test_a_refused_api_request_is_audited(api_client):
    response = api_client.get("/api/v1/incidents/")
    assert response.status_code == 401
    event = AuditEvent.objects.get(action="http.401")
    assert event.outcome == "denied"
    assert event.data == {"method": "GET", "path": "/api/v1/incidents/", "status": 401}


def test_an_out_of_sight_incident_is_audited_as_404(client, reporter, make_incident, lead):
    hidden = make_incident(reporter=lead, restricted=True)
    sign_in(client, reporter)
    assert client.get(f"/incidents/{hidden.pk}/").status_code == 404
    event = AuditEvent.objects.get(action="http.404")
    assert event.actor == reporter


def test_static_files_and_health_checks_are_not_audited(client):
    client.get("/static/does-not-exist.css")
    client.get("/healthz")
    assert not AuditEvent.objects.filter(action__startswith="http.").exists()


def test_a_missing_page_shows_the_request_id(client, lead):
    sign_in(client, lead)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="corr-404-abcdef")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body and "corr-404-abcdef" in body


def test_a_missing_api_address_is_json_with_the_request_id(token_client, lead):
    response = token_client(lead).get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="corr-api-404")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "request_id": "corr-api-404"}


@pytest.mark.urls("tests.boom_urls")
def test_an_api_server_error_is_json_without_a_trace(api_client):
    client = Client(raise_request_exception=False)
    response = client.get("/api/boom/", HTTP_X_REQUEST_ID="corr-api-500")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Server error. Quote the request_id when you report it.",
        "request_id": "corr-api-500",
    }
    assert b"simulated failure" not in response.content


@pytest.mark.urls("tests.boom_urls")
def test_a_permission_denied_page_shows_the_request_id(client, lead):
    sign_in(client, lead)
    response = client.get("/forbidden/", HTTP_X_REQUEST_ID="corr-403-abcdef")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Not allowed" in body and "corr-403-abcdef" in body
    assert "only for this test" not in body


@pytest.mark.urls("tests.boom_urls")
def test_a_bad_request_page_shows_the_request_id(client, lead):
    sign_in(client, lead)
    response = client.get("/bad/", HTTP_X_REQUEST_ID="corr-400-abcdef")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bad request" in body and "corr-400-abcdef" in body
    assert "only for this test" not in body


def test_a_disallowed_host_gets_the_bad_request_page(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_flood_of_refusals_from_one_address_is_audited_up_to_a_budget(
    client, settings, monkeypatch
):
    settings.AUDIT_REFUSALS_PER_MINUTE = 3
    monkeypatch.setattr("audit.middleware._current_minute", lambda: 30_000_000)
    for n in range(6):
        assert client.get(f"/api/v1/incidents/{n}/").status_code == 401
    refusals = AuditEvent.objects.filter(action="http.401")
    assert refusals.count() == 3
    suppressed = AuditEvent.objects.get(action="http.refusals_suppressed")
    assert suppressed.data == {"limit_per_minute": 3}
    assert suppressed.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("budget", "actions", "failure"),
    [
        # The first refusal over the budget: its event is the budget's summary.
        (0, ["http.401", "http.refusals_suppressed"], OperationalError("connection refused")),
        (5, ["http.401"], OperationalError("connection refused")),  # within the budget
        # A connection the server dropped: psycopg says so with an InterfaceError.
        (5, ["http.401"], InterfaceError("connection already closed")),
    ],
)
def test_a_refusal_stays_a_refusal_when_the_audit_database_is_down(
    budget, actions, failure, settings, monkeypatch, caplog
):
    """With the database gone, the refusal is still the intended 401 and the JSON log still
    says what was refused, where, and that the audit event could not be stored."""
    settings.AUDIT_REFUSALS_PER_MINUTE = budget
    monkeypatch.setattr("audit.middleware._current_minute", lambda: 30_000_001)
    caplog.set_level(logging.INFO, logger="cordon.security")

    def database_down(execute, sql, params, many, context):
        raise failure

    with connection.execute_wrapper(database_down):
        response = Client(raise_request_exception=False).get("/api/v1/incidents/7/")

    assert response.status_code == 401
    lines = [
        json.loads(JsonFormatter().format(record))
        for record in caplog.records
        if record.name == "cordon.security"
    ]
    not_stored = [line for line in lines if line["message"] == "audit event not stored"]
    assert [line["action"] for line in not_stored] == [actions[-1]]
    for line in lines:
        assert line["action"] in actions
        assert line["outcome"] == "denied"
        assert line["object"] == "/api/v1/incidents/7/"
