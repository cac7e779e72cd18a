"""Every API error body carries the request id (README: quote it in a report), whatever
the status: 400, 401, 403, 404, 405, 409, 415, 429, and the 404 of an unknown API path.
It is the X-Request-ID of the same answer."""

import json

import pytest
from rest_framework.test import APIClient

from tests.conftest import ALL_SCOPES

pytestmark = pytest.mark.django_db


def assert_carries_the_request_id(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = json.loads(response.content)
    assert isinstance(body, dict)
    assert body["request_id"], body
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.fixture
def api(token_client, lead):
    return token_client(lead, *ALL_SCOPES)


def test_400_invalid_input(api):
    body = assert_carries_the_request_id(api.post("/api/v1/incidents/", {"title": ""}), 400)
    assert "title" in body and "severity" in body


def test_401_no_token_and_a_bad_token():
    client = APIClient()
    assert_carries_the_request_id(client.get("/api/v1/incidents/"), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_carries_the_request_id(client.get("/api/v1/incidents/"), 401)


def test_403_a_missing_scope(token_client, lead):
    client = token_client(lead, "incidents:read")
    response = client.post("/api/v1/incidents/", {"title": "x", "severity": "low"})
    assert_carries_the_request_id(response, 403)


def test_404_out_of_sight_and_an_unknown_path(api):
    assert_carries_the_request_id(api.get("/api/v1/incidents/999999/"), 404)
    assert_carries_the_request_id(api.get("/api/v1/no-such-thing/"), 404)


def test_405_a_method_not_taken(api):
    assert_carries_the_request_id(api.delete("/api/v1/incidents/"), 405)


def test_409_an_illegal_state_change(api, incident):
    response = api.patch(f"/api/v1/incidents/{incident.pk}/", {"status": "closed"}, format="json")
    assert_carries_the_request_id(response, 409)


def test_415_a_body_that_is_not_json(api):
    response = api.generic("POST", "/api/v1/incidents/", "title=x", content_type="text/plain")
    assert_carries_the_request_id(response, 415)


def test_429_throttled(api, settings):
    settings.API_THROTTLE_USER_RATE = "1/min"
    api.get("/api/v1/incidents/")
    assert_carries_the_request_id(api.get("/api/v1/incidents/"), 429)


class BrokenOff:
    """A request body whose client is gone: reading it fails as a dropped connection
    does."""

    def read(self, size=-1):
        raise OSError("connection reset by peer")

    def readline(self, size=-1):
        return self.read(size)


def test_400_a_body_the_client_stopped_sending_and_nothing_is_written(api):
    from incidents.models import Incident

    whole = json.dumps({"title": "Broken off", "severity": "high"}).encode()
    response = api.generic(
        "POST",
        "/api/v1/incidents/",
        content_type="application/json",
        CONTENT_LENGTH=str(len(whole)),
        **{"wsgi.input": BrokenOff()},
    )
    body = assert_carries_the_request_id(response, 400)
    assert "could not be read" in body["detail"]
    assert not Incident.objects.exists()
