"""The operators' commands (CONTRACT.md, Commands): create_member, issue_api_token,
ensure_first_lead."""

import io
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.roles import ROLE_NAMES, Role
from incidents.models import Incident

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Correct-horse-battery-42"


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def role_groups(user) -> set[str]:
    return set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))


# --- create_member ------------------------------------------------------------------


def test_create_member_creates_a_person_in_the_role_group():
    output = run("create_member", "nina", "--role", "responder", "--email", "nina@example.org")
    user = User.objects.get(username="nina")
    assert role_groups(user) == {"responder"}
    assert user.email == "nina@example.org"
    assert user.has_perm("incidents.add_incident")
    assert "Created nina with role responder" in output


def test_create_member_without_a_password_prints_a_one_time_password():
    output = run("create_member", "nina", "--role", "legal")
    user = User.objects.get(username="nina")
    password = output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert user.check_password(password)
    assert user.must_change_password is True


def test_create_member_changes_the_role_of_an_existing_person():
    run("create_member", "nina", "--role", "reporter")
    output = run("create_member", "nina", "--role", "lead")
    user = User.objects.get(username="nina")
    assert role_groups(user) == {"lead"}
    assert user.role == "lead"
    assert User.objects.filter(username="nina").count() == 1
    assert "Updated nina with role lead" in output


def test_updating_a_role_keeps_the_password():
    run("create_member", "nina", "--role", "reporter")
    password_hash = User.objects.get(username="nina").password
    output = run("create_member", "nina", "--role", "responder")
    assert User.objects.get(username="nina").password == password_hash
    assert "password" not in output.lower()


def test_create_member_reads_the_password_from_stdin(monkeypatch):
    output = run(
        "create_member",
        "nina",
        "--role",
        "auditor",
        "--password-stdin",
        stdin=f"{STRONG_PASSWORD}\n",
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="nina")
    assert user.check_password(STRONG_PASSWORD)
    assert user.must_change_password is False
    assert STRONG_PASSWORD not in output


@pytest.mark.parametrize(
    "password",
    ["password1234", "short-1A", "12345678901234"],
    ids=["common", "short", "numeric"],
)
def test_a_weak_password_fails_and_creates_nobody(monkeypatch, password):
    with pytest.raises(CommandError, match="password"):
        run(
            "create_member",
            "nina",
            "--role",
            "lead",
            "--password-stdin",
            stdin=f"{password}\n",
            monkeypatch=monkeypatch,
        )
    assert not User.objects.filter(username="nina").exists()


def test_a_weak_password_leaves_an_existing_person_unchanged(monkeypatch):
    run("create_member", "nina", "--role", "reporter")
    before = User.objects.get(username="nina").password
    with pytest.raises(CommandError):
        run(
            "create_member",
            "nina",
            "--role",
            "lead",
            "--password-stdin",
            stdin="password\n",
            monkeypatch=monkeypatch,
        )
    user = User.objects.get(username="nina")
    assert user.password == before
    assert role_groups(user) == {"reporter"}


def test_an_empty_password_on_stdin_fails(monkeypatch):
    with pytest.raises(CommandError, match="No password"):
        run(
            "create_member",
            "nina",
            "--role",
            "lead",
            "--password-stdin",
            stdin="\n",
            monkeypatch=monkeypatch,
        )
    assert not User.objects.filter(username="nina").exists()


def test_an_unknown_role_fails_and_creates_nobody():
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_member", "nina", "--role", "superuser")
    assert not User.objects.filter(username="nina").exists()


def test_an_invalid_user_name_fails_and_creates_nobody():
    with pytest.raises(CommandError, match="username"):
        run("create_member", "nina smith!", "--role", "lead")
    assert not User.objects.exists()


# --- issue_api_token --------------------------------------------------------------------


def issue(*args) -> tuple[str, str]:
    output = run("issue_api_token", *args)
    return output, output.rstrip("\n").splitlines()[-1]


def test_issue_api_token_prints_the_token_alone_on_the_last_line(responder):
    output, raw = issue("rick", "--scope", "incidents:read")
    assert raw.startswith("cdn_")
    assert " " not in raw
    assert ApiToken.objects.get(user=responder).prefix in output.splitlines()[0]
    assert raw not in output.splitlines()[0]


def test_the_issued_token_works_with_exactly_its_scopes(responder):
    _, raw = issue("rick", "--scope", "incidents:write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    filed = client.post("/api/v1/incidents/", {"title": "From cron", "severity": "low"})
    assert filed.status_code == 201
    assert Incident.objects.get().reporter == responder
    assert client.get("/api/v1/incidents/").status_code == 403
    assert ApiToken.objects.get(user=responder).scopes == ["incidents:write"]


def test_several_scopes_can_be_given(responder):
    _, raw = issue("rick", "--scope", "incidents:read", "--scope", "incidents:write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/incidents/").status_code == 200
    assert client.post("/api/v1/incidents/", {"title": "x", "severity": "low"}).status_code == 201


def test_expires_days_sets_the_expiry(responder):
    issue("rick", "--scope", "incidents:read", "--expires-days", "7")
    expires_at = ApiToken.objects.get(user=responder).expires_at
    assert abs(expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_an_out_of_range_lifetime_fails(responder, days):
    with pytest.raises(CommandError, match="days"):
        issue("rick", "--scope", "incidents:read", "--expires-days", days)
    assert not ApiToken.objects.exists()


def test_a_token_name_with_an_invisible_character_fails_naming_the_field(responder):
    with pytest.raises(CommandError, match=r"^name: Remove the control or invisible"):
        issue("rick", "--scope", "incidents:read", "--name", "backup\u202e")
    assert not ApiToken.objects.exists()


def test_issuing_for_an_unknown_person_fails(db):
    with pytest.raises(CommandError, match="nobody"):
        issue("nobody", "--scope", "incidents:read")
    assert not ApiToken.objects.exists()


def test_issuing_an_unknown_scope_fails(responder):
    with pytest.raises(CommandError, match="invalid choice"):
        issue("rick", "--scope", "incidents:admin")
    assert not ApiToken.objects.exists()


def test_issuing_for_a_deactivated_person_fails(responder):
    responder.is_active = False
    responder.save()
    with pytest.raises(CommandError, match="deactivated"):
        issue("rick", "--scope", "incidents:read")
    assert not ApiToken.objects.exists()


# --- ensure_first_lead ------------------------------------------------------------------


def test_ensure_first_lead_creates_one_lead_with_a_one_time_password():
    output = run("ensure_first_lead")
    lead = User.objects.get(groups__name=Role.LEAD)
    assert lead.username == "lead"
    assert lead.must_change_password is True
    assert f"user name: {lead.username}" in output
    password = next(
        line.split(":", 1)[1].strip() for line in output.splitlines() if "password:" in line
    )
    assert lead.check_password(password)
    assert len(password) >= 20


def test_ensure_first_lead_does_nothing_the_second_time():
    run("ensure_first_lead")
    password_hash = User.objects.get(username="lead").password
    output = run("ensure_first_lead")
    assert "nothing to do" in output
    assert "password:" not in output
    assert User.objects.filter(groups__name=Role.LEAD).count() == 1
    assert User.objects.get(username="lead").password == password_hash


def test_ensure_first_lead_does_nothing_when_a_lead_exists(lead):
    output = run("ensure_first_lead")
    assert "nothing to do" in output
    assert not User.objects.filter(username="lead").exists()


def test_ensure_first_lead_does_not_take_over_an_existing_account(reporter):
    with pytest.raises(CommandError, match="ronja"):
        run("ensure_first_lead", "--username", "ronja")
    reporter.refresh_from_db()
    assert role_groups(reporter) == {"reporter"}
    assert not reporter.must_change_password


def test_an_address_already_in_use_is_refused_and_nothing_is_written(db):
    call_command("create_member", "ada", "--role", "responder", "--email", "ada@example.org")
    with pytest.raises(CommandError, match="Another person already uses"):
        call_command("create_member", "eve", "--role", "responder", "--email", "ADA@example.org")
    assert not User.objects.filter(username="eve").exists()
