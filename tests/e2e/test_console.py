"""The browser console stays clean on the main pages: no Content-Security-Policy
violation, no failed request (a missing /favicon.ico included), no script error."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent
from disclosures.services import disclosure_create
from incidents.lifecycle import ORDER, Status
from incidents.services import incident_change_status
from tests.e2e.helpers import PASSWORD, open_form, received_evidence, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def console_problems(page) -> list[str]:
    """Everything the console reports as an error or warning, and every page error."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: found.append(f"pageerror: {error}"))
    return found


def test_the_main_pages_leave_the_console_clean(page, settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lead, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    device = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True)
    incident = IncidentFactory(reporter=lead, title="Suspicious VPN logins")
    reviewed = IncidentFactory(reporter=lead, title="Leaked API key")
    for status in ORDER[1 : ORDER.index(Status.REVIEW) + 1]:
        incident_change_status(incident=reviewed, actor=lead, status=status)
    item = received_evidence(incident, lead, b"vpn log\n", name="vpn.log")
    disclosure = disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )

    problems = console_problems(page)
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    sign_in(page, "lea", device, next_path="/")
    for path in [
        "/",
        "/incidents/",
        "/incidents/new/",
        f"/incidents/{incident.pk}/",
        f"/evidence/{item.pk}/",
        f"/disclosures/{disclosure.pk}/",
        f"/incidents/{reviewed.pk}/review/",
        "/incidents/action-items/",
        "/metrics/",
        "/accounts/security/",
        "/accounts/members/",
        "/disclosures/templates/",
        "/webhooks/",
        "/notifications/",
        "/shortcuts/",
    ]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert problems == [], f"{path}: {problems}"

    # An htmx write on the incident page (the inline indicator style is off).
    page.goto(f"/incidents/{incident.pk}/")
    open_form(page.locator("#section-timeline"), "Add a timeline entry")
    timeline = page.locator("#section-timeline form")
    timeline.locator("[name=body]").fill("Isolated the VPN concentrator.")
    timeline.locator("[type=submit]").click()
    expect(page.locator("#section-timeline .timeline")).to_contain_text("Isolated the VPN")
    page.wait_for_load_state("networkidle")
    assert problems == [], problems


def test_favicon_is_served_and_not_an_audited_refusal(page):
    page.goto("/accounts/login/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and re.search(r"favicon(\.[0-9a-f]+)?\.ico$", icon)
    for path in ("/favicon.ico", icon):
        response = page.request.get(path)
        assert response.status == 200
        assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert not AuditEvent.objects.filter(data__path="/favicon.ico").exists()
