"""The newcomer's journey: sign in with the printed one-time password, change it, enrol an
authenticator with a real TOTP code computed from the key shown on the page, keep the
backup codes, and file an incident in the browser."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.services import first_lead_ensure
from incidents.models import Incident
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "correct-Horse-battery-9"
BACKUP_CODE_COUNT = 10
THROTTLE_SECONDS = 3
ADDRESS = "first.lead@example.org"


def code_from_key_text(key_text: str) -> str:
    """What an authenticator app shows for the key typed in from the page."""
    key = b32decode(re.sub(r"\s+", "", key_text))
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def test_first_lead_signs_in_changes_password_enrols_and_files_an_incident(page, settings):
    # Wrong codes make the new device back off for THROTTLE_FACTOR seconds, doubling.
    settings.OTP_TOTP_THROTTLE_FACTOR = THROTTLE_SECONDS
    lead, one_time_password = first_lead_ensure()

    page.goto("/accounts/login/")
    page.fill("input[name=username]", lead.username)
    page.fill("input[name=password]", one_time_password)
    page.click("form:has(input[name=password]) [type=submit]")

    page.wait_for_url(re.compile(r"/accounts/password/$"))
    page.fill("input[name=old_password]", one_time_password)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("form:has(input[name=new_password1]) [type=submit]")

    # No second factor yet: enrolment, and nothing else.
    page.wait_for_url(re.compile(r"/accounts/2fa/setup/$"))
    assert page.locator("figure.qr-code svg").count() == 1
    key_text = page.locator("#totp-key").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", key_text.strip())
    page.goto("/incidents/new/")
    page.wait_for_url(re.compile(r"/accounts/2fa/setup/$"))
    assert page.locator("#totp-key").inner_text() == key_text  # the same pending device

    # No backup codes exist yet: the page does not offer them.
    expect(page.locator("main")).not_to_contain_text("backup code")

    # A mistyped code, then the right one at once: the page says to wait, as the
    # sign-in does, rather than call the right code wrong.
    right = code_from_key_text(key_text)
    page.fill("input[name=otp_token]", f"{(int(right) + 1) % 1_000_000:06d}")
    page.click("form:has(input[name=otp_token]) [type=submit]")
    expect(page.locator("#otp_token_error")).to_contain_text("not valid")
    page.fill("input[name=otp_token]", right)
    page.click("form:has(input[name=otp_token]) [type=submit]")
    expect(page.locator("#otp_token_error")).to_contain_text("Wait a little")
    page.wait_for_timeout(THROTTLE_SECONDS * 1000 + 500)

    page.fill("input[name=otp_token]", code_from_key_text(key_text))
    page.click("form:has(input[name=otp_token]) [type=submit]")

    codes = page.locator("#backup-codes li code")
    codes.first.wait_for()
    shown = codes.all_inner_texts()
    assert len(shown) == BACKUP_CODE_COUNT
    assert sorted(shown) == sorted(
        StaticToken.objects.filter(device__user=lead).values_list("token", flat=True)
    )
    assert TOTPDevice.objects.get(user=lead).confirmed is True

    # The first lead has no e-mail address yet: the next page asks for one.
    page.click("a:has-text('Continue')")
    page.wait_for_url(re.compile(r"/accounts/email/first/$"))
    expect(page.locator("main h1")).to_have_text("Your e-mail address")
    expect(page.locator("input[name=email]")).to_be_focused()
    page.fill("input[name=email]", ADDRESS)
    page.click("form:has(input[name=email]) [type=submit]")
    page.wait_for_url(re.compile(r"/incidents/$"))
    expect(page.locator(".messages")).to_contain_text("We sent a link to that address")
    assert Notification.objects.filter(recipient=lead, to_address=ADDRESS).exists()

    # A lead reaches the disclosure templates and the webhooks from the navigation.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Templates").click()
    page.wait_for_url(re.compile(r"/disclosures/templates/$"))
    nav.get_by_role("link", name="Webhooks").click()
    page.wait_for_url(re.compile(r"/webhooks/$"))

    page.goto("/incidents/new/")
    page.wait_for_url(re.compile(r"/incidents/new/$"))
    page.fill("input[name=title]", "Credential stuffing against the login page")
    page.select_option("select[name=severity]", "high")
    page.click("form:has(input[name=title]) [type=submit]")

    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert incident.title == "Credential stuffing against the login page"
    assert incident.reporter == lead
    assert incident.reference in page.content()

    lead.refresh_from_db()
    assert lead.must_change_password is False
    assert lead.check_password(NEW_PASSWORD)
