"""A member with an authenticator signs in with password and a real code, then meets a
step-up before a sensitive page once the last code has grown stale, gives a fresh code,
and is back on the page."""

import re
import time

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from accounts.roles import Role
from accounts.services import member_save
from accounts.sessions import SessionStore
from accounts.twofactor import STEP_UP_SESSION_KEY

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Strong-passphrase-42"


def current_code(device) -> str:
    device.refresh_from_db()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def wait_for_a_code_not_yet_used(device, timeout: float = 45.0) -> None:
    """A TOTP code works once: wait for the authenticator's next 30-second step (and
    for the short back-off after the refused replay)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        device.refresh_from_db()
        next_step_starts = device.t0 + (device.last_t + 1) * device.step
        allowed, _ = device.verify_is_allowed()
        if time.time() >= next_step_starts and allowed:
            return
        time.sleep(max(0.2, min(next_step_starts - time.time(), 1.0)))
    pytest.fail("no unused TOTP step came up")


def browser_session_key(page) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies[settings.SESSION_COOKIE_NAME]


def make_step_up_stale(session_key: str) -> None:
    """As if the last code was given an hour ago (the server keeps the time)."""
    session = SessionStore(session_key=session_key)
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()


def test_member_signs_in_with_a_code_and_steps_up_before_a_sensitive_page(page):
    member, _ = member_save(actor=None, username="nina", role=Role.RESPONDER, password=PASSWORD)
    device = TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)

    page.goto("/incidents/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/incidents/$"))
    page.fill("input[name=username]", "nina")
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")

    page.wait_for_url(re.compile(r"/accounts/verify/\?next="))
    password_only_key = browser_session_key(page)
    sign_in_code = current_code(device)
    page.fill("input[name=otp_token]", sign_in_code)
    page.click("form:has(input[name=otp_token]) [type=submit]")
    page.wait_for_url(re.compile(r"/incidents/$"))
    assert page.get_by_text("Signed in as").is_visible()
    verified_key = browser_session_key(page)
    assert verified_key != password_only_key

    make_step_up_stale(verified_key)
    page.goto("/accounts/password/")
    page.wait_for_url(re.compile(r"/accounts/step-up/\?next=%2Faccounts%2Fpassword%2F$"))
    page.locator("h1", has_text="Confirm with a fresh code").wait_for()

    # The code that signed in is spent; a replay is refused.
    page.fill("input[name=otp_token]", sign_in_code)
    page.click("form:has(input[name=otp_token]) [type=submit]")
    page.locator("#otp_token_error").wait_for()
    assert re.search(r"/accounts/step-up/", page.url)

    wait_for_a_code_not_yet_used(device)
    page.fill("input[name=otp_token]", current_code(device))
    page.click("form:has(input[name=otp_token]) [type=submit]")

    page.wait_for_url(re.compile(r"/accounts/password/$"))
    page.locator("h1", has_text="Change your password").wait_for()
    assert page.locator("input[name=old_password]").is_visible()
    assert browser_session_key(page) != verified_key
    assert UserSession.objects.filter(user=member).count() == 1
