"""A person with no second factor left (issue 14, medium).

- Nobody removes their last authenticator (app, security key or passkey); backup codes
  never remain as the only thing left to remove.
- Someone who has no factor at all and signs in with the password alone is told to
  ask a lead for a second-factor reset, and cannot enrol.
- A lead, after step-up, issues a one-time reset link: the person's devices, sessions
  and API tokens end at once; the link and the person's password let them enrol a new
  authenticator, once.
"""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from accounts import services, twofactor
from accounts.models import ApiToken, User, hash_token
from accounts.roles import Role
from audit.models import AuditEvent
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    csrf_token,
    fast_password_hashing,
    password_sign_in,
    post_code,
    totp_code,
)
from tests.accounts.test_twofactor import code_from_key, key_on_page
from tests.accounts.test_webauthn import (  # noqa: F401 - _relying_party is a fixture
    SoftAuthenticator,
    _relying_party,
    register,
)
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

SECURITY = "/accounts/security/"
MEMBERS = "/accounts/members/"
SETUP = "/accounts/2fa/setup/"
API = "/api/v1/incidents/"
GONE = 410
FORBIDDEN = 403
RESET_LINK = re.compile(
    re.escape(django_settings.SITE_URL) + r"(/accounts/factor-reset/([A-Za-z0-9_-]+)/)"
)
ASK_A_LEAD = "Ask a lead for a second-factor reset"


def text(response) -> str:
    return response.content.decode()


def factor_resets():
    from accounts.models import FactorReset

    return FactorReset.objects.all()


def reset_url(person) -> str:
    return f"/accounts/members/{person.pk}/factor-reset/"


@pytest.fixture
def nina(db):
    """A responder with a password, an authenticator app and an e-mail address."""
    user, _ = services.member_save(
        actor=None,
        username="nina",
        role=Role.RESPONDER,
        email="nina@example.org",
        password=PASSWORD,
    )
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


def key_only_session(client, user, credential) -> None:
    """Signed in and verified with the security key, with a fresh step-up."""
    import time

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = credential.persistent_id
    session[twofactor.STEP_UP_SESSION_KEY] = time.time()
    session.save()


def issue(lead_client, person) -> str:
    """The lead's button; returns the link path from the e-mail that was sent."""
    response = lead_client.post(reset_url(person))
    assert response.status_code == 302, text(response)
    assert response["Location"] == MEMBERS
    notification = Notification.objects.order_by("-id").first()
    notification_deliver(notification_id=notification.pk)
    match = RESET_LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def follow(browser, link, password=PASSWORD):
    page = browser.get(link)
    assert page.status_code == 200, text(page)
    return browser.post(link, {"password": password, "csrfmiddlewaretoken": csrf_token(page)})


# --- The last device stays --------------------------------------------------------------------


def test_the_only_authenticator_cannot_be_removed(client, nina):
    sign_in(client, nina)
    only = TOTPDevice.objects.get(user=nina)
    assert "add another one before you can remove it" in text(client.get(SECURITY))

    response = client.post(f"/accounts/security/devices/totp/{only.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/#devices"
    assert TOTPDevice.objects.filter(pk=only.pk, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="otp.device_removed").exists()
    page = text(client.get(SECURITY))
    assert "It is your only way to give a second factor" in page
    assert client.get("/incidents/").status_code == 200


def test_the_only_security_key_cannot_be_removed(client, nina):
    TOTPDevice.objects.filter(user=nina).delete()
    credential = SoftAuthenticator().enrol_directly(nina)
    key_only_session(client, nina, credential)

    response = client.post(
        f"/accounts/webauthn/{credential.pk}/remove/", {"next": "/accounts/security/"}
    )

    assert response.status_code == 302
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert "It is your only way to give a second factor" in text(client.get(SECURITY))


def test_an_authenticator_goes_when_a_security_key_remains(client, nina):
    SoftAuthenticator().enrol_directly(nina)
    sign_in(client, nina)
    app = TOTPDevice.objects.get(user=nina)

    response = client.post(f"/accounts/security/devices/totp/{app.pk}/remove/")

    assert response["Location"] == "/accounts/security/#devices"
    assert not TOTPDevice.objects.filter(pk=app.pk).exists()
    assert AuditEvent.objects.filter(action="otp.device_removed").exists()


def test_backup_codes_that_are_all_that_is_left_cannot_be_removed(nina):
    codes = services.backup_codes_regenerate(user=nina, actor=nina)
    TOTPDevice.objects.filter(user=nina).delete()  # lost, removed in the admin
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    post_code(browser, "/accounts/verify/", codes[0])
    static = StaticDevice.objects.get(user=nina)

    browser.post(f"/accounts/security/devices/static/{static.pk}/remove/")
    with pytest.raises(ValidationError):
        services.device_remove(user=nina, device=static, actor=nina)

    assert StaticDevice.objects.filter(pk=static.pk).exists()
    assert StaticToken.objects.filter(device=static).count() == len(codes) - 1


def test_the_service_refuses_to_remove_the_last_device_of_any_kind(nina):
    only = TOTPDevice.objects.get(user=nina)
    with pytest.raises(ValidationError):
        services.device_remove(user=nina, device=only, actor=nina)
    key = SoftAuthenticator().enrol_directly(nina)
    services.device_remove(user=nina, device=only, actor=nina)
    with pytest.raises(ValidationError):
        services.device_remove(user=nina, device=key, actor=nina)
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


# --- No factor, no first-enrolment path: the password alone enrols nothing --------------------


def test_with_no_factor_left_the_password_alone_gets_the_ask_a_lead_page(nina):
    TOTPDevice.objects.filter(user=nina).delete()
    thief = Client()
    response = password_sign_in(thief, "nina", PASSWORD)
    assert response["Location"] == SETUP
    assert thief.get("/incidents/")["Location"] == SETUP

    page = thief.get(SETUP)

    assert page.status_code == FORBIDDEN
    assert ASK_A_LEAD in text(page)
    assert 'id="totp-key"' not in text(page)
    assert_csp_safe(page)
    assert thief.post(SETUP, {"otp_token": "123456"}).status_code == FORBIDDEN
    begin, _ = register(thief, SoftAuthenticator())
    assert begin.status_code == FORBIDDEN
    assert begin.json()["code"] == "factor_reset_required"
    assert not TOTPDevice.objects.filter(user=nina).exists()  # not even a pending one
    assert not WebAuthnCredential.objects.filter(user=nina).exists()
    assert AuditEvent.objects.filter(
        action="otp.enrolment_refused", actor=nina, outcome="denied"
    ).exists()


def test_used_up_backup_codes_count_as_no_factor(nina):
    codes = services.backup_codes_regenerate(user=nina, actor=nina)
    TOTPDevice.objects.filter(user=nina).delete()
    StaticToken.objects.filter(device__user=nina).delete()  # all used up
    assert codes
    thief = Client()
    password_sign_in(thief, "nina", PASSWORD)

    page = thief.get(SETUP)

    assert page.status_code == FORBIDDEN
    assert ASK_A_LEAD in text(page)


# --- A lead issues a reset --------------------------------------------------------------------


def test_a_lead_issues_a_reset_that_ends_devices_sessions_and_tokens(lead_client, lead, nina):
    their_browser = Client()
    sign_in(their_browser, nina)
    assert their_browser.get("/incidents/").status_code == 200
    SoftAuthenticator().enrol_directly(nina)
    services.backup_codes_regenerate(user=nina, actor=nina)
    _, raw_token = services.api_token_issue(
        actor=nina, user=nina, name="script", scopes=["incidents:read"]
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    assert api.get(API).status_code == 200

    link = issue(lead_client, nina)

    raw = link.rstrip("/").rsplit("/", 1)[1]
    reset = factor_resets().get(user=nina)
    assert reset.token_hash == hash_token(raw)
    assert reset.issued_by == lead and reset.used_at is None
    assert timedelta(hours=23) < reset.expires_at - timezone.now() <= timedelta(hours=24)
    assert mail.outbox[-1].to == ["nina@example.org"]
    assert "lea" in mail.outbox[-1].body
    # Every old factor, session and token is gone.
    assert not twofactor.has_any_factor(nina)
    assert not TOTPDevice.objects.filter(user=nina).exists()
    assert not WebAuthnCredential.objects.filter(user=nina).exists()
    assert not StaticDevice.objects.filter(user=nina).exists()
    assert their_browser.get("/incidents/")["Location"].startswith("/accounts/login/")
    assert api.get(API).status_code == 401
    assert not ApiToken.objects.filter(user=nina, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="factor_reset.issued")
    assert event.actor == lead
    assert event.data["devices_removed"] == 3
    assert event.data["sessions_ended"] == 1 and event.data["tokens_revoked"] == 1
    # The link is a secret: never in the audit log, gone from the outbox once sent.
    assert not [e.pk for e in AuditEvent.objects.all() if raw in json.dumps(e.data)]
    assert not Notification.objects.filter(body__contains=raw).exists()
    row = text(lead_client.get(MEMBERS)).split(f'id="member-{nina.pk}"', 1)[1]
    assert "reset link open until" in row.split("</tr>", 1)[0]


def test_issuing_a_reset_needs_a_fresh_step_up(client, lead, nina):
    sign_in(client, lead, step_up=False)

    response = client.post(reset_url(nina))

    assert urlsplit(response["Location"]).path == "/accounts/step-up/"
    assert not factor_resets().exists()
    assert TOTPDevice.objects.filter(user=nina).exists()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.LEAD])
def test_only_leads_issue_resets(client, make_member, nina, role):
    sign_in(client, make_member(role, username=f"someone-{role}"))

    assert client.post(reset_url(nina)).status_code == FORBIDDEN
    assert not factor_resets().exists()


def test_a_lead_cannot_reset_their_own_second_factor(lead_client, lead):
    response = lead_client.post(reset_url(lead))

    assert response["Location"] == MEMBERS
    assert not factor_resets().exists()
    assert TOTPDevice.objects.filter(user=lead).exists()
    assert "You cannot reset your own second factor." in text(lead_client.get(MEMBERS))
    with pytest.raises(ValidationError):
        from accounts.recovery import factor_reset_issue

        factor_reset_issue(actor=lead, user=lead)


def test_a_deactivated_member_gets_no_reset(lead_client, lead, nina):
    services.member_deactivate(actor=lead, user=nina)

    lead_client.post(reset_url(nina))

    assert not factor_resets().exists()
    assert "deactivated" in text(lead_client.get(MEMBERS))


def test_a_new_reset_voids_the_older_link(lead_client, nina):
    first = issue(lead_client, nina)
    second = issue(lead_client, nina)

    assert first != second
    assert Client().get(first).status_code == GONE
    assert follow(Client(), second)["Location"] == SETUP


# --- The person follows the link ---------------------------------------------------------------


def test_the_link_and_the_password_let_the_person_enrol_once(lead_client, nina):
    link = issue(lead_client, nina)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    assert page.status_code == 200
    assert "nina" in text(page) and 'name="password"' in text(page)
    assert_csp_safe(page)

    wrong = browser.post(
        link, {"password": "not-her-password-1", "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert wrong.status_code == 422
    assert factor_resets().get().used_at is None

    response = follow(browser, link)

    assert response.status_code == 302
    assert response["Location"] == SETUP
    assert factor_resets().get().used_at is not None
    assert AuditEvent.objects.filter(action="factor_reset.used", actor=nina).exists()
    setup = browser.get(SETUP)
    assert setup.status_code == 200
    confirmed = browser.post(
        SETUP,
        {"otp_token": code_from_key(key_on_page(setup)), "csrfmiddlewaretoken": csrf_token(setup)},
    )
    assert confirmed.status_code == 200
    assert TOTPDevice.objects.get(user=nina).confirmed
    assert browser.get("/incidents/").status_code == 200
    assert twofactor.FIRST_ENROLMENT_SESSION_KEY not in browser.session
    # The link worked once.
    assert Client().get(link).status_code == GONE


def test_the_reset_allows_one_enrolment_in_the_session_that_followed_the_link(lead_client, nina):
    link = issue(lead_client, nina)
    follow(Client(), link)  # then the browser is closed before enrolling

    thief = Client()
    password_sign_in(thief, "nina", PASSWORD)

    assert thief.get(SETUP).status_code == FORBIDDEN
    assert Client().get(link).status_code == GONE


def test_a_security_key_can_be_the_first_device_after_a_reset(lead_client, nina):
    link = issue(lead_client, nina)
    browser = Client()
    follow(browser, link)

    begin, complete = register(browser, SoftAuthenticator())

    assert begin.status_code == 200 and complete.status_code == 200, complete.content
    assert browser.get("/incidents/").status_code == 200


def test_an_expired_link_is_refused(lead_client, nina):
    link = issue(lead_client, nina)
    factor_resets().update(expires_at=timezone.now() - timedelta(seconds=1))

    browser = Client()
    assert browser.get(link).status_code == GONE
    assert browser.post(link, {"password": PASSWORD}).status_code == GONE
    assert "_auth_user_id" not in browser.session


def test_the_link_of_a_person_deactivated_since_is_refused(lead_client, lead, nina):
    link = issue(lead_client, nina)
    services.member_deactivate(actor=lead, user=nina)

    assert Client().post(link, {"password": PASSWORD}).status_code == GONE
    assert factor_resets().get().used_at is None


def test_unknown_and_used_links_get_the_same_answer(lead_client, nina):
    link = issue(lead_client, nina)
    follow(Client(), link)

    used = Client().get(link)
    unknown = Client().get("/accounts/factor-reset/not-a-real-token-at-all/")

    assert used.status_code == unknown.status_code == GONE
    assert text(used) == text(unknown)


def test_a_wrong_password_on_the_link_counts_as_a_failed_sign_in(lead_client, nina):
    link = issue(lead_client, nina)
    raw = link.rstrip("/").rsplit("/", 1)[1]

    response = Client().post(link, {"password": "wrong-password-xx"})

    assert response.status_code == 422
    assert AuditEvent.objects.filter(action="login.failed", target_id=str(nina.pk)).exists()
    assert User.objects.get(pk=nina.pk).check_password(PASSWORD)
    # The link's token is a secret: never in the log, not even in a refused request's path.
    assert not [
        e.pk for e in AuditEvent.objects.all() if raw in json.dumps(e.data) + e.target_label
    ]


def test_a_totp_code_of_the_removed_device_does_not_come_back(lead_client, nina):
    old_device = TOTPDevice.objects.get(user=nina)
    old_code = totp_code(old_device)
    issue(lead_client, nina)

    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)

    assert browser.post("/accounts/verify/", {"otp_token": old_code})["Location"] == SETUP
    assert browser.get("/incidents/")["Location"] == SETUP


# --- The operator's reset, for when no lead can help -------------------------------------------


def test_the_operator_resets_the_only_lead_from_the_command_line(lead, settings):
    from io import StringIO

    from django.core.management import call_command

    lead.email = "lea@example.org"
    lead.set_password(PASSWORD)
    lead.save()
    TOTPDevice.objects.create(user=lead, name="Lost phone", confirmed=True)
    out = StringIO()

    call_command("reset_second_factor", lead.username, stdout=out)

    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith(settings.SITE_URL + "/accounts/factor-reset/")
    assert not TOTPDevice.objects.filter(user=lead).exists()
    issued = AuditEvent.objects.get(action="factor_reset.issued", target_id=str(lead.pk))
    assert issued.actor is None
    assert link.rsplit("/", 2)[-2] not in json.dumps(issued.data)
    browser = Client()
    follow(browser, urlsplit(link).path)
    assert browser.get(SETUP).status_code == 200


def test_the_command_names_an_unknown_person():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No person named 'ghost'"):
        call_command("reset_second_factor", "ghost")
