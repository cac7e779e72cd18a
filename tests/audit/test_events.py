"""Security events produced by their real triggers and found in the audit log (and, where
the database may be what failed, in the JSON log)."""

import json
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts.authentication import token_used_cache_key
from accounts.models import ApiToken
from audit.logging import (
    DB_AUTH_FAILED,
    JsonFormatter,
    database_auth_failures,
    note_database_error,
)
from audit.models import AuditEvent
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    SESSION_USER_KEY,
    fast_password_hashing,
    full_sign_in,
    make_person,
    password_sign_in,
)

pytestmark = pytest.mark.django_db
ATTACKER = "203.0.113.66"


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _json_lines(caplog, action):
    formatter = JsonFormatter()
    return [
        formatter.format(record)
        for record in caplog.records
        if getattr(record, "action", None) == action
    ]


@pytest.mark.usefixtures("fast_password_hashing")
def test_a_lockout_is_recorded_with_the_user_name_and_address(settings):
    user, _ = make_person("nina")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", "a-wrong-guess-123")

    (event,) = _events("login.locked_out")
    assert event.outcome == "denied"
    assert event.target_id == str(user.pk)
    assert event.data == {"username": "nina", "ip": ATTACKER}
    assert event.ip == ATTACKER


@pytest.mark.usefixtures("fast_password_hashing")
def test_a_user_name_with_cr_lf_stays_one_escaped_entry_in_both_logs(settings, caplog):
    forged = "mallory\r\n2026-01-01 INFO login.succeeded admin\x1b[2J"
    caplog.set_level(logging.INFO, logger="cordon.security")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_sign_in(Client(REMOTE_ADDR=ATTACKER), forged, "a-wrong-guess-123")

    failures = _events("login.failed")
    assert len(failures) == settings.AXES_FAILURE_LIMIT
    assert all(event.data["username"] == forged for event in failures)
    (lockout,) = _events("login.locked_out")
    assert lockout.data["username"] == forged
    assert not AuditEvent.objects.filter(actor_label__contains="admin").exists()

    (line,) = _json_lines(caplog, "login.locked_out")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert json.loads(line)["object"] == forged


@pytest.mark.usefixtures("fast_password_hashing")
def test_the_second_factor_rotates_the_session_and_says_so():
    user, device = make_person("nina")
    client = Client()
    password_sign_in(client, "nina", "wrong-first-1234")
    assert not _events("session.rotated")

    full_sign_in(client, user, device)

    (event,) = _events("session.rotated")
    assert event.actor == user
    assert event.data == {"reason": "second factor"}
    assert SESSION_USER_KEY in client.session


@pytest.mark.parametrize(
    ("headers", "url", "reason"),
    [
        ({"HTTP_AUTHORIZATION": "Bearer cdn_not-a-real-token"}, "/api/v1/incidents/", "unknown"),
        ({"HTTP_AUTHORIZATION": "Bearer a b"}, "/api/v1/incidents/", "malformed"),
        ({}, "/api/v1/incidents/?access_token=cdn_leaked-value", "token in the URL"),
    ],
)
def test_a_refused_token_is_recorded_with_the_reason_never_the_token(
    api_client, headers, url, reason
):
    response = api_client.get(url, **headers)

    assert response.status_code == 401
    (event,) = _events("api_token.refused")
    assert event.outcome == "denied"
    assert event.data["reason"].startswith(reason)
    text = json.dumps(event.data)
    assert "not-a-real-token" not in text and "leaked-value" not in text


def test_token_use_is_recorded_at_most_once_a_minute(token_client, responder):
    client = token_client(responder, "incidents:read")
    cache.delete(token_used_cache_key(ApiToken.objects.get(user=responder).pk))  # first use
    for _ in range(3):
        assert client.get("/api/v1/incidents/").status_code == 200

    (event,) = _events("api_token.used")
    token = ApiToken.objects.get(user=responder)
    assert event.actor == responder
    assert event.target_id == str(token.pk)
    assert client.raw_token not in json.dumps(event.data) + event.target_label

    cache.delete(token_used_cache_key(token.pk))  # a minute later
    client.get("/api/v1/incidents/")
    assert len(_events("api_token.used")) == 2


def test_a_database_credentials_error_is_logged_and_counted(caplog):
    from django.db import OperationalError

    caplog.set_level(logging.INFO, logger="cordon.security")
    error = OperationalError('FATAL:  password authentication failed for user "cordon"')
    assert note_database_error(error, where="test")
    assert not note_database_error(OperationalError("server closed the connection"), where="t")

    assert database_auth_failures() == 1
    (line,) = _json_lines(caplog, DB_AUTH_FAILED)
    assert json.loads(line)["count"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL to refuse a login")
def test_healthz_with_wrong_database_credentials_logs_db_auth_failed(client, caplog, monkeypatch):
    from django.db.backends.postgresql.base import DatabaseWrapper

    import config.health

    caplog.set_level(logging.INFO, logger="cordon.security")
    bad = {
        **connection.settings_dict,
        "USER": "cordon_no_such_role",
        "PASSWORD": "wrong-password",
        "CONN_MAX_AGE": 0,
    }
    monkeypatch.setattr(config.health, "connection", DatabaseWrapper(bad, alias="wrong_user"))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert database_auth_failures() == 1
    (line,) = _json_lines(caplog, DB_AUTH_FAILED)
    assert json.loads(line)["object"] == "healthz"
