"""API token authentication: the token travels in the Authorization header only. A token
in the URL is refused (URLs end up in logs, history and Referer headers), even next to a
valid header; a deactivated member's token is refused."""

import pytest
from rest_framework.test import APIClient

from accounts.authentication import URL_CREDENTIALS_DETAIL
from accounts.models import ApiToken, User
from incidents.models import Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
FILING = {"title": "Beaconing from 10.0.0.9", "severity": "low"}
UNAUTHORIZED = 401


def refused_for_a_token_in_the_url(response) -> bool:
    return (
        response.status_code == UNAUTHORIZED
        and response.json()["detail"] == URL_CREDENTIALS_DETAIL
        and response.headers["WWW-Authenticate"].startswith("Bearer")
    )


def test_the_header_alone_works(responder, token_client):
    assert token_client(responder).get(URL).status_code == 200


@pytest.mark.parametrize(
    "parameter", ["token", "access_token", "api_key", "bearer", "TOKEN", "Access_Token"]
)
def test_a_token_parameter_is_refused_even_with_a_valid_header(responder, token_client, parameter):
    client = token_client(responder)
    response = client.get(URL, {parameter: client.raw_token})
    assert refused_for_a_token_in_the_url(response)
    assert "Authorization header" in response.json()["detail"]


@pytest.mark.parametrize("parameter", ["token", "access_token", "api_key", "bearer"])
def test_a_token_parameter_is_refused_whatever_its_value(responder, token_client, parameter):
    response = token_client(responder).get(URL, {parameter: "anything"})
    assert refused_for_a_token_in_the_url(response)


def test_a_token_value_under_any_name_is_refused(responder, token_client):
    client = token_client(responder)
    for query in (
        {"q": client.raw_token},
        {"status": "new", "key": client.raw_token},
        {"auth": f"Bearer {client.raw_token}"},
        {"x": "cdn_made-up"},
    ):
        assert refused_for_a_token_in_the_url(client.get(URL, query)), query


def test_a_token_as_a_bare_query_name_is_refused(responder, token_client):
    client = token_client(responder)
    assert refused_for_a_token_in_the_url(client.get(f"{URL}?{client.raw_token}"))


def test_a_token_in_the_url_alone_does_not_authenticate(responder, token_client):
    raw = token_client(responder).raw_token
    response = APIClient().get(URL, {"access_token": raw})
    assert refused_for_a_token_in_the_url(response)


def test_a_write_with_a_token_in_the_url_is_refused_and_writes_nothing(responder, token_client):
    client = token_client(responder)
    last_used = ApiToken.objects.get().last_used_at
    response = client.post(f"{URL}?token={client.raw_token}", FILING, format="json")
    assert refused_for_a_token_in_the_url(response)
    assert not Incident.objects.exists()
    assert ApiToken.objects.get().last_used_at == last_used


def test_ordinary_query_parameters_still_work(responder, token_client, incident):
    client = token_client(responder)
    response = client.get(URL, {"status": "new", "severity": "high", "q": "Suspicious"})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [incident.pk]


def test_a_deactivated_members_token_is_401(responder, token_client):
    """Even were the token not revoked with the deactivation, it stops working."""
    client = token_client(responder)
    assert client.get(URL).status_code == 200
    User.objects.filter(pk=responder.pk).update(is_active=False)
    response = client.get(URL)
    assert response.status_code == UNAUTHORIZED
    response = client.post(URL, FILING, format="json")
    assert response.status_code == UNAUTHORIZED
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_an_address_guessing_tokens_is_refused_but_a_good_token_from_it_works(settings, responder):
    from rest_framework.test import APIClient

    from tests.factories import issue_token

    settings.API_BAD_TOKEN_LIMIT = 3
    guesser = APIClient()
    for n in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Bearer cdn_guess{n:040d}")
        assert guesser.get("/api/v1/incidents/").status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION="Bearer cdn_guess" + "9" * 40)
    refused = guesser.get("/api/v1/incidents/")
    assert refused.status_code == 429
    assert "Too many invalid tokens" in refused.json()["detail"]

    # Only unknown tokens are refused: a valid one from the same address works
    # (tests/accounts/test_bad_token_lockout.py).
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(responder, 'incidents:read')}")
    assert guesser.get("/api/v1/incidents/").status_code == 200

    elsewhere = APIClient(REMOTE_ADDR="192.0.2.7")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(responder, 'incidents:read')}")
    assert elsewhere.get("/api/v1/incidents/").status_code == 200
