"""A passkey in the system Chromium: a verified member registers one on the security page,
signs out, and next time gives it after the password instead of a code.

Chromium's virtual authenticator (DevTools protocol, WebAuthn domain) plays the
hardware: an internal, user-verifying authenticator that answers at once."""

import re
import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Strong-passphrase-42"
VIRTUAL_PASSKEY = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


@pytest.fixture
def relying_party(settings, live_server):
    """WebAuthn needs a secure context: http://localhost is one, so the live server's
    origin (http://localhost:<port>) is the one allowed origin, and localhost the RP id."""
    assert live_server.url.startswith("http://localhost:"), live_server.url
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


@pytest.fixture
def member(db):
    user, _ = member_save(actor=None, username="vera", role=Role.RESPONDER, password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user, device


def sign_in_with_password(page, username):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/verify/"))


def add_virtual_passkey(page):
    """(DevTools session, authenticator id): the browser now has a passkey authenticator."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_PASSKEY})
    return cdp, added["authenticatorId"]


def sign_in_with_code(page, user, totp_device):
    """Password and a real TOTP code: verified, with a fresh step-up."""
    sign_in_with_password(page, user.username)
    page.fill("input[name=otp_token]", f"{totp(totp_device.bin_key):06d}")
    page.click("form:has(input[name=otp_token]) [type=submit]")
    page.wait_for_url(re.compile(r"/incidents/$"))


def test_member_registers_a_passkey_and_signs_in_with_it(page, relying_party, member):
    user, totp_device = member
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))
    cdp, authenticator_id = add_virtual_passkey(page)
    sign_in_with_code(page, user, totp_device)

    page.goto("/accounts/security/")
    page.click("#passkey-register-button")
    # static/js/webauthn.js reloads the page once the key is stored; it then lists it.
    page.locator("#webauthn-devices").get_by_role("cell", name="Passkey", exact=True).wait_for()
    credential = WebAuthnCredential.objects.get(user=user)
    assert credential.name == "Passkey"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1
    assert AuditEvent.objects.filter(action="otp.device_added", data__kind="webauthn").exists()

    page.click("form.logout-form [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/"))

    # Next time: the password, then the passkey instead of a code.
    sign_in_with_password(page, user.username)
    page.click("#passkey-verification-button")
    page.wait_for_url(re.compile(r"/incidents/$"))
    assert page.get_by_role("heading", name=re.compile("Incidents")).first.is_visible()

    credential.refresh_from_db()
    assert credential.last_used_at is not None
    verified = AuditEvent.objects.filter(action="otp.verified", actor=user).order_by("id")
    assert verified.last().data["kind"] == "webauthn"
    assert script_errors == []


def test_registering_without_a_fresh_step_up_asks_for_one_then_works(
    page, settings, relying_party, member
):
    user, totp_device = member
    backup = StaticDevice.objects.create(user=user, name="Backup codes")
    backup.token_set.create(token="backup42")
    add_virtual_passkey(page)
    sign_in_with_code(page, user, totp_device)
    settings.STEP_UP_MAX_AGE = 1
    time.sleep(1.5)

    page.goto("/accounts/security/")
    page.click("#passkey-register-button")
    # 401 from the server; static/js/webauthn.js takes the person to the step-up page.
    page.wait_for_url(re.compile(r"/accounts/step-up/\?next=/accounts/security/"))
    assert not WebAuthnCredential.objects.exists()

    settings.STEP_UP_MAX_AGE = 300
    page.fill("input[name=otp_token]", "backup42")
    page.click("form:has(input[name=otp_token]) [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/security/$"))
    page.click("#passkey-register-button")
    page.locator("#webauthn-devices").get_by_role("cell", name="Passkey", exact=True).wait_for()
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
