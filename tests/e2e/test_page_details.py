"""Details a person sees: the lockout page says how long and leads back, cards keep
their distance, e-mail and URL fields look like the other fields."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from tests.e2e.helpers import PASSWORD, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIELD_LOOK = """el => {
  const s = getComputedStyle(el);
  return [s.borderTopWidth, s.borderTopColor, s.borderRadius, s.paddingLeft, s.fontSize];
}"""


@pytest.fixture
def lead(db):
    user, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_the_lockout_page_says_how_long_and_leads_back(page, lead, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "lea")
        page.fill("input[name=password]", "not-the-password-123")
        page.click("form:has(input[name=password]) [type=submit]")
    expect(page.locator("main h1")).to_have_text("Too many attempts")
    expect(page.locator("main [role=alert]")).to_contain_text(
        "after 5 failed attempts, for 15 min from the last one"
    )
    page.get_by_role("link", name="Back to sign-in").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))


def test_cards_keep_their_distance_and_fields_look_alike(page, lead):
    user, device = lead
    IncidentFactory(reporter=user, title="Suspicious VPN logins")
    sign_in(page, "lea", device, next_path="/")
    first, second = page.locator("main > section.card").all()[:2]
    gap = second.bounding_box()["y"] - (first.bounding_box()["y"] + first.bounding_box()["height"])
    assert gap >= 12, f"the overview's cards touch ({gap} px apart)"

    page.goto("/accounts/members/")
    invite = page.locator("form:has(input[name=email])")
    email = invite.locator("input[type=email]").evaluate(FIELD_LOOK)
    text = invite.locator("input[name=username]").evaluate(FIELD_LOOK)
    assert email == text
    expect(invite.locator("label[for=id_email]")).to_have_text("E-mail")  # no colon

    page.goto("/webhooks/new/")
    form = page.locator("form:has(input[name=url])")
    assert form.locator("input[name=url]").evaluate(FIELD_LOOK) == form.locator(
        "input[name=name]"
    ).evaluate(FIELD_LOOK)
