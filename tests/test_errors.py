"""Refused and failed requests are audited; a server error shows a correlation id, no trace."""

import pytest
from django.test import Client

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
