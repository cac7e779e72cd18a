"""Every security event issue 6 lists, produced by its real trigger and found in the log.

One place that lists them all. Each case drives the real surface (a browser request
through the test client, the API with a token, a management command, a beat task or a
service) and then looks for the audit event by action name (and outcome). Where a
trigger is tested in depth elsewhere, that file is named next to the case.

Not repeated here, only referenced:
- a user name with CR/LF stays one escaped entry in the JSON log and the audit log:
  tests/audit/test_events.py::test_a_user_name_with_cr_lf_stays_one_escaped_entry_in_both_logs
- bulk writes (``QuerySet.update()``, ``bulk_create``, ``bulk_update``) send no model
  signals; audit/capture.py records them itself (tests/audit/test_bulk_capture.py).
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from accounts import services as account_services
from accounts.models import ApiToken, User
from accounts.roles import Role
from audit.logging import DB_AUTH_FAILED, JsonFormatter, database_auth_failures
from audit.models import AuditEvent
from incidents import services as incident_services
from incidents.models import Incident
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    allow_first_enrolment,
    csrf_token,
    fast_password_hashing,
    fresh_totp_code,
    full_sign_in,
    make_person,
    password_sign_in,
    post_code,
    totp_code,
)
from tests.conftest import sign_in
from tests.evidence import conftest as evidence_fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

vault = evidence_fixtures.vault  # evidence goes to the test's own folder
NEW_PASSWORD = "another-Strong-phrase-77"
ATTACKER = "203.0.113.66"


@dataclass(frozen=True)
class Case:
    name: str
    trigger: Callable  # (pytest request) -> None
    action: str
    outcome: str = "success"
    elsewhere: str = ""  # where it is tested in depth


def person_with_device(username="nina"):
    return make_person(username)


# --- Sign-in, sign-out, sessions, second factor ---------------------------------------


def login_success(request):
    user, device = person_with_device()
    full_sign_in(Client(), user, device)


def login_failure(request):
    make_person("nina")
    password_sign_in(Client(), "nina", "a-wrong-guess-123")


def logout(request):
    user, device = person_with_device()
    client = Client()
    full_sign_in(client, user, device)
    assert client.post("/accounts/logout/").status_code == 302


def session_rotation(request):
    login_success(request)  # the second factor rotates the session key


def lockout(request):
    make_person("nina")
    from django.conf import settings

    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", "a-wrong-guess-123")


def otp_failure(request):
    make_person("nina")
    client = Client()
    first = password_sign_in(client, "nina", PASSWORD)
    assert post_code(client, first["Location"], "000000").status_code == 200


def otp_reuse(request):
    _, device = person_with_device()
    code = fresh_totp_code(device)
    first_browser = Client()
    first = password_sign_in(first_browser, "nina", PASSWORD)
    assert post_code(first_browser, first["Location"], code).status_code == 302
    assert not AuditEvent.objects.filter(action="otp.failed").exists()
    second_browser = Client()
    second = password_sign_in(second_browser, "nina", PASSWORD)
    response = post_code(second_browser, second["Location"], code)  # the same code again
    assert response.status_code == 200 and "used already" in response.content.decode()


def step_up_granted(request):
    user, device = person_with_device()
    client = Client()
    full_sign_in(client, user, device)
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    backup.token_set.create(token="stepup0001")
    assert post_code(client, "/accounts/step-up/?next=/", "stepup0001").status_code == 302


def step_up_refused(request):
    user, device = person_with_device()
    client = Client()
    full_sign_in(client, user, device)
    assert post_code(client, "/accounts/step-up/?next=/", "000000").status_code == 200


def device_added(request):
    user, _ = make_person("nina", device=False)
    client = Client()
    password_sign_in(client, "nina", PASSWORD)
    allow_first_enrolment(client, user)  # as after an invitation (accounts/test_device_rules.py)
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/accounts/2fa/setup/",
        {"otp_token": totp_code(pending), "csrfmiddlewaretoken": csrf_token(page)},
    )
    assert response.status_code == 200 and TOTPDevice.objects.get(pk=pending.pk).confirmed


def device_removed(request):
    user, device = person_with_device()
    TOTPDevice.objects.create(user=user, name="new phone", confirmed=True)  # never the last one
    client = Client()
    sign_in(client, user)
    response = client.post(f"/accounts/security/devices/totp/{device.pk}/remove/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


# --- Passwords, invitations, e-mail -----------------------------------------------------


def password_change(request):
    user, _ = person_with_device()
    client = Client()
    sign_in(client, user)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302


def password_reset(request):
    request.getfixturevalue(
        "settings"
    ).EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user, _ = person_with_device()
    user.email = "nina@example.org"
    user.save(update_fields=["email"])
    browser = Client()
    browser.post("/accounts/password/reset/", {"email": "nina@example.org"})
    link = re.search(
        re.escape(django_settings.SITE_URL) + r"(/accounts/password/reset/\S+/\S+/)",
        mail.outbox[-1].body,
    )
    form_url = browser.get(link.group(1))["Location"]
    browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def invitation_accepted(request):
    lead = request.getfixturevalue("lead")
    _, raw = account_services.member_invite(
        actor=lead, username="ivy", email="ivy@example.org", role=Role.RESPONDER
    )
    response = Client().post(
        f"/accounts/invitation/{raw}/", {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response.status_code == 302


def registration_by_invitation(request):
    """Registration is by invitation only: a lead invites on the members page."""
    client = Client()
    sign_in(client, request.getfixturevalue("lead"))
    response = client.post(
        "/accounts/members/invite/",
        {"username": "ivy", "email": "ivy@example.org", "role": Role.RESPONDER},
    )
    assert response.status_code == 302, response.content.decode()[:500]


def registration_by_command(request):
    call_command("create_member", "cli-made", "--role", "responder", stdout=io.StringIO())


def chain_broken(request):
    from audit.tasks import audit_verify_chain
    from tests.audit.test_chain import tampering

    victim = audit.record("test.event", data={"n": 1})
    audit.record("test.event", data={"n": 2})
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [victim.pk])
    assert audit_verify_chain()["ok"] is False


def email_verified(request):
    user, _ = person_with_device()
    client = Client()
    sign_in(client, user)
    assert (
        client.post("/accounts/security/email/", {"email": "nina@example.org"}).status_code == 302
    )
    body = user.notifications.get(to_address="nina@example.org").body
    link = re.search(r"(/accounts/email/verify/[^/\s]+/)", body).group(1)
    assert client.post(link).status_code == 302


def new_login_address(request):
    user, device = person_with_device()
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    backup.token_set.create(token="newaddr001")
    full_sign_in(Client(REMOTE_ADDR="198.51.100.7"), user, device)
    browser = Client(REMOTE_ADDR="203.0.113.200")
    first = password_sign_in(browser, "nina", PASSWORD)
    assert post_code(browser, first["Location"], "newaddr001").status_code == 302


def notification_preferences(request):
    lead = request.getfixturevalue("lead")
    client = Client()
    sign_in(client, lead)
    client.post("/accounts/notifications/", {"shown": ["incident.filed"]})


# --- Files and model writes -------------------------------------------------------------


def file_upload(request):
    responder = request.getfixturevalue("responder")
    incident = request.getfixturevalue("incident")
    client = request.getfixturevalue("token_client")(responder, "evidence:write")
    body, content_type = evidence_fixtures.multipart(
        {"kind": "log"}, filename="auth.log", content=b"evidence" * 100
    )
    response = client.generic(
        "POST", f"/api/v1/incidents/{incident.pk}/evidence/", body, content_type=content_type
    )
    assert response.status_code == 201


def model_created(request):
    request.getfixturevalue("incident")  # filed through the service


def model_updated(request):
    incident = request.getfixturevalue("incident")
    lead = request.getfixturevalue("lead")
    incident_services.incident_update(incident=incident, actor=lead, title="A better title")


def model_deleted(request):
    incident = request.getfixturevalue("incident")
    lead = request.getfixturevalue("lead")
    member = incident_services.crew_add(
        incident=incident, actor=lead, user=request.getfixturevalue("legal")
    )
    incident_services.crew_remove(member=member, actor=lead)


def admin_change(request):
    admin = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    token_owner = request.getfixturevalue("responder")
    account_services.api_token_issue(
        actor=None, user=token_owner, name="old name", scopes=["incidents:read"]
    )
    token = ApiToken.objects.get(user=token_owner)
    client = Client()
    sign_in(client, admin)

    def split(moment: datetime | None) -> tuple[str, str]:
        return (moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")) if moment else ("", "")

    data = {"user": token.user_id, "name": "renamed in the admin", "prefix": token.prefix}
    data["scopes"] = json.dumps(token.scopes)
    for field in ("created_at", "expires_at", "revoked_at", "last_used_at"):
        data[f"{field}_0"], data[f"{field}_1"] = split(getattr(token, field))
    response = client.post(f"/admin/accounts/apitoken/{token.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    token.refresh_from_db()
    assert token.name == "renamed in the admin"


def bulk_update(request):
    incident = request.getfixturevalue("incident")
    Incident.objects.filter(pk=incident.pk).update(title="Changed in bulk")


# --- Refused and failed requests -------------------------------------------------------------


def bad_request(request):
    client = request.getfixturevalue("token_client")(
        request.getfixturevalue("responder"), "incidents:write"
    )
    assert client.post("/api/v1/incidents/", {}, format="json").status_code == 400


def forbidden(request):
    client = Client()
    sign_in(client, request.getfixturevalue("responder"))
    assert client.get("/audit/").status_code == 403


def not_found(request):
    hidden = request.getfixturevalue("make_incident")(
        reporter=request.getfixturevalue("lead"), restricted=True
    )
    client = Client()
    sign_in(client, request.getfixturevalue("reporter"))
    assert client.get(f"/incidents/{hidden.pk}/").status_code == 404


def server_error(request):
    request.getfixturevalue("settings").ROOT_URLCONF = "tests.boom_urls"
    client = Client(raise_request_exception=False)
    sign_in(client, request.getfixturevalue("lead"))
    assert client.get("/boom/").status_code == 500


def token_used(request):
    from django.core.cache import cache

    from accounts.authentication import token_used_cache_key

    responder = request.getfixturevalue("responder")
    client = request.getfixturevalue("token_client")(responder, "incidents:read")
    cache.delete(token_used_cache_key(ApiToken.objects.get(user=responder).pk))  # a first use
    assert client.get("/api/v1/incidents/").status_code == 200


def token_refused(request):
    response = Client().get("/api/v1/incidents/", HTTP_AUTHORIZATION="Bearer cdn_not-a-token")
    assert response.status_code == 401


# --- Machine events -----------------------------------------------------------------------------


def resource_spike(request):
    from audit.tasks import audit_sample_resources

    settings = request.getfixturevalue("settings")
    settings.RESOURCE_CPU_PERCENT = 0  # anything is over: the real sampler measures
    settings.RESOURCE_MEMORY_PERCENT = 0
    settings.RESOURCE_SPIKE_SECONDS = 0
    assert audit_sample_resources() == "spike"


CASES = [
    Case("login success", login_success, "login.succeeded", elsewhere="accounts/test_login.py"),
    Case("login failure", login_failure, "login.failed", "failure"),
    Case("logout", logout, "logout"),
    Case("session rotation", session_rotation, "session.rotated", elsewhere="audit/test_events.py"),
    Case("lockout", lockout, "login.locked_out", "denied", elsewhere="accounts/test_lockout.py"),
    Case("OTP failure", otp_failure, "otp.failed", "failure"),
    Case("OTP reuse", otp_reuse, "otp.failed", "failure"),
    Case(
        "step-up granted", step_up_granted, "step_up.granted", elsewhere="accounts/test_stepup.py"
    ),
    Case("step-up refused", step_up_refused, "step_up.refused", "failure"),
    Case(
        "2FA device added", device_added, "otp.device_added", elsewhere="accounts/test_twofactor.py"
    ),
    Case("2FA device removed", device_removed, "otp.device_removed"),
    Case(
        "password change",
        password_change,
        "password.changed",
        elsewhere="accounts/test_password.py",
    ),
    Case("password reset", password_reset, "password.reset"),
    Case(
        "password reset requested",
        password_reset,
        "password_reset.requested",
        elsewhere="accounts/test_password_reset_limits.py",
    ),
    Case("registration (invitation)", registration_by_invitation, "member.invited"),
    Case("registration (command line)", registration_by_command, "member.created"),
    Case("invitation accepted", invitation_accepted, "member.invitation_accepted"),
    Case("e-mail verification", email_verified, "account.email_verified"),
    Case("e-mail change requested", email_verified, "account.email_change_requested"),
    Case("sign-in from a new address", new_login_address, "login.new_address"),
    Case("notification choices", notification_preferences, "notification.preferences_changed"),
    Case("file upload", file_upload, "evidence.received", elsewhere="evidence/test_api.py"),
    Case("model create", model_created, "model.created", elsewhere="audit/test_capture.py"),
    Case("model update", model_updated, "model.updated"),
    Case("model delete", model_deleted, "model.deleted"),
    Case("Django admin change", admin_change, "model.updated"),
    Case("400", bad_request, "http.400", "denied"),
    Case("403 on a protected page", forbidden, "http.403", "denied"),
    Case("404 on an out-of-sight incident", not_found, "http.404", "denied"),
    Case("500", server_error, "http.500", "failure", elsewhere="test_errors.py"),
    Case("API token use", token_used, "api_token.used", elsewhere="audit/test_events.py"),
    Case("API token refusal", token_refused, "api_token.refused", "denied"),
    Case(
        "audit chain break", chain_broken, "audit.chain_broken", "failure", "audit/test_periodic.py"
    ),
    Case("CPU/memory spike", resource_spike, "resource.spike", "failure", "audit/test_monitor.py"),
]


def _last_id() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_event_is_logged_by_its_real_trigger(case, request):
    before = _last_id()
    case.trigger(request)
    events = AuditEvent.objects.filter(id__gt=before, action=case.action)
    assert events.exists(), f"{case.name}: no {case.action!r} event"
    assert events.filter(outcome=case.outcome).exists(), list(events.values("outcome", "data"))


def test_an_admin_change_is_captured_with_its_old_and_new_value(request):
    admin_change(request)
    event = AuditEvent.objects.filter(action="model.updated").order_by("-id").first()
    assert event.data["model"] == "accounts.apitoken"
    assert event.data["changes"]["name"] == ["old name", "renamed in the admin"]
    assert event.actor.username == "root"


def test_a_bulk_queryset_update_is_captured(request):
    before = _last_id()
    bulk_update(request)
    event = AuditEvent.objects.get(id__gt=before, action="model.bulk_updated")
    incident = request.getfixturevalue("incident")
    assert event.data == {
        "model": "incidents.incident",
        "count": 1,
        "values": {"title": "Changed in bulk"},
        "ids": [incident.pk],
        "ids_truncated": False,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL to refuse a login")
def test_a_database_authentication_failure_is_in_the_json_log_and_counted(
    client, caplog, monkeypatch
):
    """The audit log lives in the database that refused us: the event goes to the JSON log
    (logger cordon.security) and a counter (tests/audit/test_events.py has the details)."""
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

    assert client.get("/healthz").status_code == 503

    assert database_auth_failures() == 1
    lines = [
        JsonFormatter().format(record)
        for record in caplog.records
        if getattr(record, "action", None) == DB_AUTH_FAILED
    ]
    (line,) = lines
    assert json.loads(line)["outcome"] == "failure"
