"""/accounts/security/ through HTTP: a person's devices, backup codes, sessions, API tokens
and sign-in attempts, and the step-up that guards the sensitive changes."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, UserSession, hash_token
from accounts.roles import Role
from accounts.twofactor import STEP_UP_SESSION_KEY
from audit.models import AuditEvent
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

PAGE = "/accounts/security/"
TOKENS = "/accounts/security/tokens/"
API = "/api/v1/incidents/"
TOKEN_IN_PAGE = re.compile(r'id="new-token-value"[^>]*value="([^"]+)"')
CODES_IN_PAGE = re.compile(r"<li><code>([^<]+)</code></li>")


def text(response) -> str:
    return response.content.decode()


def assert_sent_to_step_up(response, back_to=PAGE):
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/step-up/"
    assert parse_qs(location.query) == {"next": [back_to]}


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def me(responder):
    return responder


@pytest.fixture
def my_client(client, me):
    sign_in(client, me)
    return client


# --- The page -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_only_session_is_sent_to_the_second_factor(client, me):
    TOTPDevice.objects.create(user=me, name="phone", confirmed=True)
    client.force_login(me)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")


def test_security_page_shows_devices_backup_codes_sessions_and_tokens(my_client, me):
    services.backup_codes_regenerate(user=me, actor=me)
    services.api_token_issue(actor=me, user=me, name="siem-forwarder", scopes=["incidents:read"])

    response = my_client.get(PAGE)

    assert response.status_code == 200
    body = text(response)
    assert "test authenticator" in body
    assert "You have <strong>10</strong> unused backup codes." in body
    assert "siem-forwarder" in body and "incidents:read" in body
    assert "this session" in body
    assert 'href="/accounts/2fa/setup/"' in body and "Add an authenticator" in body
    assert_csp_safe(response)


def test_security_link_is_in_the_navigation_once_verified(my_client):
    body = text(my_client.get("/incidents/"))
    assert 'href="/accounts/security/"' in body


def test_the_page_never_contains_a_session_key(my_client, me):
    other = Client()
    sign_in(other, me)
    body = text(my_client.get(PAGE))
    keys = list(UserSession.objects.filter(user=me).values_list("session_key", flat=True))
    assert len(keys) == 2
    for key in keys:
        assert key not in body
        assert services.session_public_id(key) in body


def test_only_my_sessions_and_tokens_are_listed(my_client, lead):
    lead_client = Client()
    sign_in(lead_client, lead)
    services.api_token_issue(actor=lead, user=lead, name="lead-script", scopes=["incidents:read"])
    body = text(my_client.get(PAGE))
    assert "lead-script" not in body
    assert services.session_public_id(lead_client.session.session_key) not in body


# --- API tokens -------------------------------------------------------------------------


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(my_client, me):
    response = my_client.post(
        TOKENS, {"name": "ci-pipeline", "scopes": "incidents:read incidents:write"}
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    body = text(response)
    assert "shown only this once" in body
    raw = TOKEN_IN_PAGE.search(body).group(1)
    token = ApiToken.objects.get(user=me)
    assert token.name == "ci-pipeline"
    assert token.scopes == ["incidents:read", "incidents:write"]
    assert token.token_hash == hash_token(raw)
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert all(raw not in value for value in stored)
    assert AuditEvent.objects.filter(action="api_token.issued", actor=me).exists()

    assert raw not in text(my_client.get(PAGE))  # never shown again
    assert bearer(raw).get(API).status_code == 200


def test_scope_checkboxes_send_one_value_each(my_client, me):
    response = my_client.post(
        TOKENS, {"name": "two boxes", "scopes": ["evidence:read", "incidents:read"]}
    )
    assert response.status_code == 201
    assert ApiToken.objects.get(user=me).scopes == ["evidence:read", "incidents:read"]


def test_creating_a_token_without_a_fresh_step_up_goes_to_step_up_and_creates_nothing(client, me):
    sign_in(client, me, step_up=False)
    response = client.post(TOKENS, {"name": "ci", "scopes": "incidents:read incidents:write"})
    assert_sent_to_step_up(response)
    assert not ApiToken.objects.exists()

    # After the step-up the person is back on the page (a GET) and must confirm again.
    page = client.get(parse_qs(urlsplit(response["Location"]).query)["next"][0])
    assert page.status_code == 200
    assert not ApiToken.objects.exists()


def test_a_stale_step_up_is_not_enough(client, me, settings):
    sign_in(client, me)
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - settings.STEP_UP_MAX_AGE - 1
    session.save()
    response = client.post(TOKENS, {"name": "ci", "scopes": "incidents:read"})
    assert_sent_to_step_up(response)
    assert not ApiToken.objects.exists()


def test_step_up_comes_back_to_the_security_page_whatever_the_referer(client, me):
    sign_in(client, me, step_up=False)
    response = client.post(
        TOKENS,
        {"name": "ci", "scopes": "incidents:read"},
        HTTP_REFERER="http://testserver/accounts/security/tokens/",
    )
    assert_sent_to_step_up(response)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "ci", "scopes": "incidents:read admin:everything"}, "scopes", "admin:everything"),
        ({"name": "ci", "scopes": ""}, "scopes", "Choose at least one scope."),
        ({"name": "ci"}, "scopes", "Choose at least one scope."),
        ({"name": "", "scopes": "incidents:read"}, "name", "This field is required."),
        ({"name": "   ", "scopes": "incidents:read"}, "name", "This field is required."),
        ({"name": "ci", "scopes": "incidents:read", "expires_days": "400"}, "expires_days", "365"),
        ({"name": "ci", "scopes": "incidents:read", "expires_days": "0"}, "expires_days", "1"),
    ],
)
def test_bad_token_input_shows_an_error_and_creates_nothing(my_client, data, field, message):
    response = my_client.post(TOKENS, data)
    assert response.status_code == 422
    body = text(response)
    assert "The token was not created." in body
    assert f'id="id_token_{field}_error"' in body
    assert message in body
    assert not ApiToken.objects.exists()
    assert 'id="new-token-value"' not in body


def test_coming_back_to_the_token_page_with_a_get_creates_nothing(my_client):
    response = my_client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#tokens"
    assert not ApiToken.objects.exists()


def test_token_creation_without_csrf_token_is_refused(me):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, me)
    response = browser.post(TOKENS, {"name": "ci", "scopes": "incidents:read"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_revoking_a_token_makes_the_api_refuse_it(my_client, me):
    token, raw = services.api_token_issue(
        actor=me, user=me, name="nightly", scopes=["incidents:read"]
    )
    assert bearer(raw).get(API).status_code == 200

    response = my_client.post(f"/accounts/security/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#tokens"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(raw).get(API).status_code == 401
    assert "revoked" in text(my_client.get(PAGE))


def test_revoking_without_a_fresh_step_up_leaves_the_token_working(client, me):
    token, raw = services.api_token_issue(actor=me, user=me, name="n", scopes=["incidents:read"])
    sign_in(client, me, step_up=False)
    response = client.post(f"/accounts/security/tokens/{token.pk}/revoke/")
    assert_sent_to_step_up(response)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(raw).get(API).status_code == 200


def test_nobody_can_revoke_someone_elses_token(my_client, lead):
    token, _ = services.api_token_issue(
        actor=lead, user=lead, name="lead", scopes=["incidents:read"]
    )
    response = my_client.post(f"/accounts/security/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- Sessions ---------------------------------------------------------------------------


def test_ending_another_session_signs_that_browser_out(my_client, me):
    other = Client()
    sign_in(other, me)
    assert other.get("/incidents/").status_code == 200
    public_id = services.session_public_id(other.session.session_key)
    assert public_id in text(my_client.get(PAGE))

    response = my_client.post(f"/accounts/security/sessions/{public_id}/end/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#sessions"
    answer = other.get("/incidents/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")
    assert my_client.get("/incidents/").status_code == 200
    assert AuditEvent.objects.filter(action="session.ended", actor=me).exists()


def test_end_all_other_sessions_keeps_only_this_one(my_client, me):
    others = [Client(), Client()]
    for other in others:
        sign_in(other, me)

    response = my_client.post("/accounts/security/sessions/end-others/")

    assert response.status_code == 302
    for other in others:
        assert other.get("/incidents/")["Location"].startswith("/accounts/login/")
    assert my_client.get("/incidents/").status_code == 200
    assert UserSession.objects.filter(user=me).count() == 1


def test_ending_this_session_signs_me_out(my_client, me):
    public_id = services.session_public_id(my_client.session.session_key)
    response = my_client.post(f"/accounts/security/sessions/{public_id}/end/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert my_client.get("/incidents/")["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(user=me).exists()


def test_a_public_id_of_someone_elses_session_ends_nothing(my_client, lead):
    lead_client = Client()
    sign_in(lead_client, lead)
    public_id = services.session_public_id(lead_client.session.session_key)

    response = my_client.post(f"/accounts/security/sessions/{public_id}/end/")

    assert response.status_code == 302
    assert lead_client.get("/incidents/").status_code == 200


def test_ending_sessions_needs_a_post(my_client):
    assert my_client.get("/accounts/security/sessions/end-others/").status_code == 405


# --- Second-factor devices and backup codes ------------------------------------------------


def test_removing_a_device_needs_a_fresh_step_up(client, me):
    sign_in(client, me, step_up=False)
    spare = TOTPDevice.objects.create(user=me, name="spare phone", confirmed=True)
    response = client.post(f"/accounts/security/devices/totp/{spare.pk}/remove/")
    assert_sent_to_step_up(response)
    assert TOTPDevice.objects.filter(pk=spare.pk).exists()


def test_removing_a_second_authenticator_keeps_me_signed_in(my_client, me):
    spare = TOTPDevice.objects.create(user=me, name="spare phone", confirmed=True)
    page = text(my_client.get(PAGE))
    assert "spare phone" in page
    assert "This is your only authenticator" not in page

    response = my_client.post(f"/accounts/security/devices/totp/{spare.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#devices"
    assert not TOTPDevice.objects.filter(pk=spare.pk).exists()
    assert my_client.get(PAGE).status_code == 200
    assert AuditEvent.objects.filter(action="otp.device_removed", actor=me).exists()


def test_removing_the_last_authenticator_is_refused_with_a_clear_message(my_client, me):
    only = TOTPDevice.objects.get(user=me)
    page = text(my_client.get(PAGE))
    assert "This is your only authenticator: add another one before you can remove it." in page
    assert f'action="/accounts/security/devices/totp/{only.pk}/remove/"' not in page

    response = my_client.post(f"/accounts/security/devices/totp/{only.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#devices"
    assert TOTPDevice.objects.filter(user=me, confirmed=True).exists()
    assert "It is your only way to give a second factor" in text(my_client.get(PAGE))
    assert my_client.get("/incidents/").status_code == 200


def test_nobody_can_remove_someone_elses_device(my_client, lead):
    theirs = TOTPDevice.objects.create(user=lead, name="lead phone", confirmed=True)
    response = my_client.post(f"/accounts/security/devices/totp/{theirs.pk}/remove/")
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_an_unknown_device_kind_is_404(my_client, me):
    device = TOTPDevice.objects.get(user=me)
    response = my_client.post(f"/accounts/security/devices/sms/{device.pk}/remove/")
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_regenerating_backup_codes_invalidates_the_old_ones(my_client, me):
    old_codes = services.backup_codes_regenerate(user=me, actor=me)

    response = my_client.post("/accounts/security/backup-codes/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new_codes = CODES_IN_PAGE.findall(text(response))
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    device = StaticDevice.objects.get(user=me)
    assert device.verify_token(new_codes[0])
    assert not device.verify_token(old_codes[0])
    assert "You have <strong>9</strong> unused backup codes." in text(my_client.get(PAGE))


def test_regenerating_backup_codes_needs_a_fresh_step_up(client, me):
    old_codes = services.backup_codes_regenerate(user=me, actor=me)
    sign_in(client, me, step_up=False)
    response = client.post("/accounts/security/backup-codes/")
    assert_sent_to_step_up(response)
    assert StaticDevice.objects.get(user=me).verify_token(old_codes[0])


def test_removing_backup_codes_leaves_none(my_client, me):
    services.backup_codes_regenerate(user=me, actor=me)
    device = StaticDevice.objects.get(user=me)
    response = my_client.post(f"/accounts/security/devices/static/{device.pk}/remove/")
    assert response.status_code == 302
    assert "You have no backup codes." in text(my_client.get(PAGE))


# --- Sign-in attempts -------------------------------------------------------------------


def test_failed_sign_in_attempts_are_listed_with_address_and_browser(my_client, me, make_member):
    stranger = Client(HTTP_USER_AGENT="curl/8.5", REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        stranger.post("/accounts/login/", {"username": me.username, "password": "wrong-guess-1"})
    someone_else = make_member(Role.LEGAL, username="lisa")
    stranger.post("/accounts/login/", {"username": someone_else.username, "password": "nope-nope"})

    body = text(my_client.get(PAGE))

    section = body.split('id="sign-ins"', 1)[1]
    assert section.count("badge-attempt-failed") == 2
    assert "198.51.100.7" in section and "curl/8.5" in section
    assert "lisa" not in section
