"""The disclosure page in the browser: a draft with blanks is refused for approval, and
the page says which blanks are left."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from disclosures import regimes
from disclosures.lifecycle import DisclosureStatus
from disclosures.services import disclosure_create
from tests.e2e.helpers import PASSWORD, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def person(username: str, role: str):
    user, _ = member_save(actor=None, username=username, role=role, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_a_draft_with_blanks_is_refused_for_approval_and_lists_them(page):
    lead, device = person("lea", Role.LEAD)
    incident = IncidentFactory(reporter=lead, title="Customer records exposed")
    disclosure = disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    sign_in(page, "lea", device, next_path=f"/disclosures/{disclosure.pk}/")

    checklist = page.locator("#section-checklist")
    expect(checklist).to_contain_text("blanks still to be confirmed")
    expect(checklist.locator(".open-blanks li").first).to_be_visible()
    expect(checklist.locator(".open-blanks")).to_contain_text(regimes.GDPR_DPO)

    page.get_by_role("button", name="Submit for approval").click()

    refusal = page.locator("main > .form-errors")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("before it goes for approval")
    expect(refusal).to_contain_text(regimes.GDPR_DPO)
    expect(page.locator("#section-status .badge-status")).to_have_text("Draft")
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.DRAFT

    # Every blank confirmed, the same button sends it for approval.
    text = page.locator("textarea[name=body]")
    text.fill(regimes.BLANK_PATTERN.sub("confirmed", text.input_value()))
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#section-checklist")).to_contain_text("No blanks left.")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#section-status .badge-status")).to_have_text("In review")
    assert re.search(r"/disclosures/\d+/$", page.url)


def test_an_audience_the_regime_is_not_for_is_refused_next_to_the_regime(page):
    lead, device = person("lea", Role.LEAD)
    incident = IncidentFactory(reporter=lead, title="Customer records exposed")
    sign_in(page, "lea", device, next_path=f"/disclosures/new/{incident.pk}/")

    page.select_option("select[name=audience]", "users")
    page.select_option("select[name=regime]", "gdpr_art33")
    page.get_by_role("button", name="Create the draft").click()

    regime = page.locator(".field:has(select[name=regime])")
    expect(regime).to_have_class(re.compile("has-error"))
    expect(regime).to_contain_text("notification of the supervisory authority")
    expect(page.locator("select[name=audience]")).to_have_value("users")
    expect(page.locator("select[name=regime]")).to_have_value("gdpr_art33")
    expect(page.locator("select[name=regime]")).to_be_focused()  # the field to correct

    page.select_option("select[name=audience]", "regulator")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(re.compile(r"/disclosures/\d+/$"))
    expect(page.locator("main h1")).to_contain_text("Regulator notice")
