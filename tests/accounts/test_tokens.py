"""API tokens: how a script proves who it is, and what it may do (CONTRACT.md, REST API)."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TOKEN_PREFIX, ApiToken
from accounts.services import api_token_issue, api_token_revoke, member_save
from audit.models import AuditEvent
from incidents.models import Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
FILING = {"title": "Port scan from 203.0.113.9", "severity": "low"}
URLSAFE_BASE64 = re.compile(r"^[A-Za-z0-9_-]+$")


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_no_authorization_header_is_401_with_a_bearer_challenge(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer cdn_not-a-real-token", "Bearer", "Bearer two parts", "Basic cmljazpwYXNzd29yZA=="],
)
def test_a_wrong_token_or_scheme_is_401(api_client, responder, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert api_client.get(URL).status_code == 401


def test_a_valid_token_reads_incidents(responder, token_client, incident):
    response = token_client(responder, "incidents:read").get(URL)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [incident.pk]


def test_an_expired_token_is_401(responder, token_client):
    client = token_client(responder, "incidents:read")
    assert client.get(URL).status_code == 200
    ApiToken.objects.filter(user=responder).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(URL).status_code == 401


def test_a_revoked_token_is_401(responder, token_client):
    client = token_client(responder, "incidents:read")
    assert client.get(URL).status_code == 200
    api_token_revoke(actor=responder, token=ApiToken.objects.get(user=responder))
    assert client.get(URL).status_code == 401


def test_revoking_is_recorded_in_the_audit_log(responder, token_client):
    token_client(responder, "incidents:read")
    token = ApiToken.objects.get(user=responder)
    api_token_revoke(actor=responder, token=token)
    event = AuditEvent.objects.filter(action="api_token.revoked").get()
    assert (event.actor, event.target_id) == (responder, str(token.pk))


def test_a_deactivated_persons_token_is_401(responder, token_client):
    client = token_client(responder, "incidents:read")
    responder.is_active = False
    responder.save()
    assert client.get(URL).status_code == 401


def test_a_deactivated_person_gets_no_new_token(responder):
    responder.is_active = False
    responder.save()
    with pytest.raises(ValidationError, match="deactivated"):
        api_token_issue(actor=None, user=responder, name="x", scopes=["incidents:read"])
    assert not ApiToken.objects.exists()


def test_a_read_only_token_cannot_file_and_nothing_is_written(responder, token_client):
    client = token_client(responder, "incidents:read")
    domain_events = AuditEvent.objects.exclude(action__startswith="http.")
    events = domain_events.count()
    response = client.post(URL, FILING, format="json")
    assert response.status_code == 403
    assert "incidents:write" in response.json()["detail"]
    assert not Incident.objects.exists()
    assert domain_events.count() == events
    assert AuditEvent.objects.filter(action="http.403", actor=responder).exists()


def test_a_read_only_token_cannot_change_an_incident(responder, token_client, incident):
    client = token_client(responder, "incidents:read")
    response = client.patch(f"{URL}{incident.pk}/", {"title": "Changed"}, format="json")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title != "Changed"


def test_an_evidence_only_token_cannot_read_incidents(responder, token_client, incident):
    client = token_client(responder, "evidence:read", "evidence:write")
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{incident.pk}/").status_code == 403


def test_a_write_only_token_files_but_cannot_read(responder, token_client):
    client = token_client(responder, "incidents:write")
    assert client.post(URL, FILING, format="json").status_code == 201
    assert client.get(URL).status_code == 403


def test_using_a_token_records_when_it_was_last_used(responder, token_client):
    client = token_client(responder, "incidents:read")
    assert ApiToken.objects.get(user=responder).last_used_at is None
    before = timezone.now()
    client.get(URL)
    last_used_at = ApiToken.objects.get(user=responder).last_used_at
    assert last_used_at is not None
    assert before <= last_used_at <= timezone.now()


def test_only_the_sha256_of_the_token_is_stored(responder):
    token, raw = api_token_issue(actor=None, user=responder, name="ci", scopes=["incidents:read"])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(value) for value in stored.values()}
    assert raw.startswith(stored["prefix"])
    assert len(stored["prefix"]) < len(raw) // 3


def test_the_raw_token_is_nowhere_in_the_database(responder):
    _, raw = api_token_issue(actor=None, user=responder, name="ci", scopes=["incidents:read"])
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert raw[len(TOKEN_PREFIX) :] not in dump.getvalue()


def test_a_token_carries_at_least_256_random_bits(responder):
    raws = {
        api_token_issue(actor=None, user=responder, name=f"t{n}", scopes=["incidents:read"])[1]
        for n in range(20)
    }
    assert len(raws) == 20
    for raw in raws:
        assert raw.startswith(TOKEN_PREFIX)
        secret = raw[len(TOKEN_PREFIX) :]
        assert URLSAFE_BASE64.match(secret)
        assert len(secret) * 6 >= 256


@pytest.mark.parametrize(
    ("scopes", "expires_days"),
    [([], 30), (["incidents:admin"], 30), (["incidents:read"], 0), (["incidents:read"], 366)],
    ids=["no-scope", "unknown-scope", "zero-days", "over-a-year"],
)
def test_a_token_needs_known_scopes_and_a_bounded_lifetime(responder, scopes, expires_days):
    with pytest.raises(ValidationError, match=r"scope|days"):
        api_token_issue(
            actor=None, user=responder, name="x", scopes=scopes, expires_days=expires_days
        )
    assert not ApiToken.objects.exists()


def test_a_person_who_must_change_their_password_can_still_use_a_token(token_client):
    user, _ = member_save(
        actor=None,
        username="fresh",
        role="responder",
        password="a-one-time-Password-1",
        must_change_password=True,
    )
    assert token_client(user, "incidents:read").get(URL).status_code == 200
