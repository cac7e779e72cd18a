"""In Chromium: the bell counts what a person was told and its page opens it; keyboard
shortcuts move around, and stay off while the person types."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from incidents import services as incident_services
from incidents.models import Incident
from tests.conftest import wait_for
from tests.e2e.helpers import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_leads(db):
    lea, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    leif, _ = member_save(actor=None, username="leif", role=Role.LEAD, password=PASSWORD)
    device = TOTPDevice.objects.create(user=leif, name="Authenticator app", confirmed=True)
    return lea, leif, device


def test_the_bell_counts_and_its_page_opens_and_marks_read(page, two_leads, celery_worker):
    lea, _leif, device = two_leads
    sign_in(page, "leif", device, next_path="/incidents/")
    bell = page.locator(".site-header .bell")
    expect(bell.locator(".bell-count")).to_have_text("0")

    first = incident_services.incident_file(
        reporter=lea, title="Ransomware note on the file server", severity="critical"
    )
    second = incident_services.incident_file(
        reporter=lea, title="Web shell on www1", severity="high"
    )
    # The worker tells the leads once each filing has committed.
    wait_for(
        lambda: (
            not Incident.objects.filter(
                pk__in=[first.pk, second.pk], leads_notice_owed=True
            ).exists()
        )
    )
    page.reload()
    expect(bell.locator(".bell-count")).to_have_text("2")
    expect(bell).to_have_accessible_name(re.compile(r"Notifications:\s*2\s*unread"))

    bell.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    expect(page.locator("main h2")).to_have_text("2 unread")
    page.get_by_role("button", name=re.compile(rf"^Unread: .*{first.reference}")).click()
    page.wait_for_url(re.compile(rf"/incidents/{first.pk}/$"))
    expect(bell.locator(".bell-count")).to_have_text("1")

    bell.click()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("main h2")).to_have_text("0 unread")
    expect(bell.locator(".bell-count")).to_have_text("0")


def test_keyboard_shortcuts_move_around_but_not_while_typing(page, two_leads):
    _lea, _leif, device = two_leads
    sign_in(page, "leif", device, next_path="/")
    page.locator("main h1").click()  # the focus on the page, in no field

    page.keyboard.press("g")
    page.keyboard.press("i")
    page.wait_for_url(re.compile(r"/incidents/$"))

    page.keyboard.press("/")
    search = page.locator("main input[type=search]")
    expect(search).to_be_focused()
    page.keyboard.type("ngi")  # typed into the box: no shortcut fires
    expect(search).to_have_value("ngi")
    assert page.url.endswith("/incidents/")

    page.locator("main h1").click()
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/incidents/new/$"))
    page.locator("input[name=title]").focus()
    page.keyboard.press("?")
    expect(page.locator("input[name=title]")).to_have_value("?")

    page.locator("main h1").click()
    page.keyboard.press("?")
    page.wait_for_url(re.compile(r"/shortcuts/$"))
    expect(page.locator("main")).to_contain_text("Go to the incidents")

    page.keyboard.press("g")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/notifications/$"))


def test_a_shortcut_exists_only_where_its_link_does(page, db):
    reporter, _ = member_save(actor=None, username="rick", role=Role.AUDITOR, password=PASSWORD)
    device = TOTPDevice.objects.create(user=reporter, name="Authenticator app", confirmed=True)
    sign_in(page, "rick", device, next_path="/incidents/")
    page.locator("main h1").click()
    page.keyboard.press("n")  # an auditor files nothing: no "New incident" link, no shortcut
    page.wait_for_timeout(300)
    assert page.url.endswith("/incidents/")
