"""An address that sent too many bad API tokens (issue 14): its further unknown tokens
are refused outright (429), but a valid token from it always works, so an attacker
sharing an address (a NAT, a proxy) with a script cannot lock the script out."""

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from incidents.models import Incident
from tests.factories import issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
SHARED_ADDRESS = "198.51.100.20"
OTHER_ADDRESS = "192.0.2.7"


def client_from(address: str, token: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def guess(n: int) -> str:
    return f"cdn_guess{n:040d}"


@pytest.fixture
def locked_out(settings):
    """SHARED_ADDRESS has just sent API_BAD_TOKEN_LIMIT unknown tokens (the default 20)."""
    assert settings.API_BAD_TOKEN_LIMIT == 20
    for n in range(settings.API_BAD_TOKEN_LIMIT):
        assert client_from(SHARED_ADDRESS, guess(n)).get(URL).status_code == 401
    return SHARED_ADDRESS


def test_a_valid_token_works_from_an_address_that_sent_too_many_bad_ones(locked_out, responder):
    token = issue_token(responder, "incidents:read", "incidents:write")
    script = client_from(locked_out, token)

    assert script.get(URL).status_code == 200
    filed = script.post(URL, {"title": "Beaconing", "severity": "low"}, format="json")
    assert filed.status_code == 201
    assert Incident.objects.filter(pk=filed.json()["id"]).exists()


def test_further_unknown_tokens_from_that_address_are_429_and_not_each_audited(
    locked_out, settings
):
    refused_before = AuditEvent.objects.filter(action="api_token.refused").count()
    assert refused_before == settings.API_BAD_TOKEN_LIMIT

    for n in range(100, 105):
        response = client_from(locked_out, guess(n)).get(URL)
        assert response.status_code == 429
        assert "Too many invalid tokens" in response.json()["detail"]
        assert int(response["Retry-After"]) == settings.API_BAD_TOKEN_WINDOW

    # The flood is not written event by event (the 429s are, within the refusal budget).
    assert AuditEvent.objects.filter(action="api_token.refused").count() == refused_before
    # Another address is not concerned.
    assert client_from(OTHER_ADDRESS, guess(200)).get(URL).status_code == 401


@pytest.mark.parametrize(
    "kwargs",
    [
        {"HTTP_AUTHORIZATION": "Bearer two words"},  # malformed
        {"HTTP_AUTHORIZATION": "Bearer cdn_\xff"},  # not ASCII
    ],
    ids=["malformed", "not-ascii"],
)
def test_malformed_credentials_from_that_address_are_429_too(locked_out, kwargs):
    assert APIClient(REMOTE_ADDR=locked_out).get(URL, **kwargs).status_code == 429


def test_a_token_in_the_url_from_that_address_is_429(locked_out, responder):
    token = issue_token(responder, "incidents:read")
    assert client_from(locked_out).get(URL, {"token": token}).status_code == 429


def test_no_token_at_all_from_that_address_is_the_usual_401(locked_out):
    assert client_from(locked_out).get(URL).status_code == 401


def test_a_valid_token_does_not_lift_the_lockout_for_guesses(locked_out, responder):
    token = issue_token(responder, "incidents:read")
    assert client_from(locked_out, token).get(URL).status_code == 200
    assert client_from(locked_out, guess(300)).get(URL).status_code == 429
