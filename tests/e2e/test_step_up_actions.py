"""A sensitive action with a stale second factor, in the browser: the step-up page names
the action, and after a real code the person is back where they were with the action
ready (a highlighted button), never a saved copy of the step-up page or a page showing
an old error. The download itself then starts."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from disclosures.models import Approval
from disclosures.services import disclosure_create, disclosure_edit, disclosure_submit
from evidence.models import Action
from tests.e2e.helpers import (
    PASSWORD,
    give_code,
    make_step_up_stale,
    received_evidence,
    sign_in,
    unused_code,
)
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = b"MZ\x90\x00" + b"memory page " * 500


def person(username: str, role: str):
    user, _ = member_save(actor=None, username=username, role=role, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.fixture
def stored_item(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # hashed at once, in this process
    lead, device = person("lea", Role.LEAD)
    incident = IncidentFactory(reporter=lead, title="Memory dump of the mail gateway")
    item = received_evidence(incident, lead, CONTENT, name="dump.raw")
    return lead, device, item


def test_a_stale_download_asks_for_a_code_then_offers_the_download(page, stored_item):
    _lead, device, item = stored_item
    sign_in(page, "lea", device, next_path=f"/evidence/{item.pk}/")
    make_step_up_stale(page)
    downloads = []
    page.on("download", lambda download: downloads.append(download))

    page.get_by_role("button", name="Download (needs a fresh one-time code)").click()

    # The step-up page, shown (not saved as a file), names what is being confirmed.
    page.wait_for_url(re.compile(r"/accounts/step-up/"))
    expect(page.locator("main h1")).to_have_text("Confirm with a fresh code")
    expect(page.locator(".step-up-action")).to_contain_text(
        f"Download evidence #{item.pk} (dump.raw)"
    )
    assert downloads == []
    assert not item.custody.filter(action=Action.DOWNLOADED).exists()

    give_code(page, unused_code(device))

    # Back on the item page, the download ready and highlighted, with the focus on it.
    page.wait_for_url(re.compile(rf"/evidence/{item.pk}/\?ready=download#ready$"))
    now = page.locator(".ready-action").get_by_role("button", name="Download now")
    expect(now).to_be_visible()
    expect(now).to_have_id("ready")
    expect(now).to_be_focused()
    expect(page.locator(".form-errors, .messages .message-error")).to_have_count(0)
    with page.expect_download() as started:
        now.click()
    download = started.value
    assert download.suggested_filename == "dump.raw"
    with open(download.path(), "rb") as saved:
        assert saved.read() == CONTENT
    assert item.custody.filter(action=Action.DOWNLOADED).count() == 1

    # Looking at the page again and again leaves the chain of custody as it was: it
    # holds what touched the bytes (the download), not each look at the record.
    page.reload()
    custody = page.locator("table", has_text="SHA-256 then")
    expect(custody).to_contain_text("Downloaded")
    expect(custody).not_to_contain_text("Viewed")


def test_a_stale_zip_download_comes_back_as_a_zip_ready(page, stored_item):
    _lead, device, item = stored_item
    sign_in(page, "lea", device, next_path=f"/evidence/{item.pk}/")
    make_step_up_stale(page)

    page.get_by_role("button", name=re.compile("Download as encrypted zip")).click()
    page.wait_for_url(re.compile(r"/accounts/step-up/"))
    expect(page.locator(".step-up-action")).to_contain_text(
        f"Download evidence #{item.pk} (dump.raw) as an encrypted zip"
    )
    give_code(page, unused_code(device))

    page.wait_for_url(re.compile(rf"/evidence/{item.pk}/\?ready=download-zip#ready$"))
    with page.expect_download() as started:
        page.locator(".ready-action").get_by_role("button", name=re.compile("Download now")).click()
    assert started.value.suggested_filename == "dump.raw.zip"


def test_a_stale_export_comes_back_to_the_evidence_section_ready(page, stored_item):
    _lead, device, item = stored_item
    incident = item.incident
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/")
    make_step_up_stale(page)

    page.get_by_role("button", name=re.compile("Export the evidence package")).click()
    page.wait_for_url(re.compile(r"/accounts/step-up/"))
    expect(page.locator(".step-up-action")).to_contain_text(
        f"Export the evidence package of {incident.reference}"
    )
    give_code(page, unused_code(device))

    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/\?ready=export#ready$"))
    with page.expect_download() as started:
        page.locator(".ready-action").get_by_role("button", name="Export now").click()
    assert started.value.suggested_filename.endswith(".zip")
    assert item.custody.filter(action=Action.EXPORTED).count() == 1


def test_a_stale_approval_comes_back_to_the_approve_button(new_page):
    lead, _ = person("lea", Role.LEAD)
    manager, manager_device = person("mona", Role.MANAGER)
    incident = IncidentFactory(reporter=lead, title="Leaked customer list")
    disclosure = disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="none"
    )
    disclosure_edit(disclosure=disclosure, actor=lead, body="We lost a customer list.\n")
    disclosure_edit(disclosure=disclosure, actor=lead, body="We lost a customer list today.\n")
    disclosure_submit(disclosure=disclosure, actor=lead)

    page = new_page("manager")
    sign_in(page, "mona", manager_device, next_path=f"/disclosures/{disclosure.pk}/")
    make_step_up_stale(page)
    page.get_by_role("button", name="Approve version 3").click()

    page.wait_for_url(re.compile(r"/accounts/step-up/"))
    expect(page.locator(".step-up-action")).to_contain_text(
        f"Approve version 3 of the regulator notice ({incident.reference})"
    )
    assert not Approval.objects.exists()
    give_code(page, unused_code(manager_device))

    page.wait_for_url(re.compile(rf"/disclosures/{disclosure.pk}/\?ready=approve#ready$"))
    button = page.locator(".ready-action").get_by_role("button", name="Approve version 3")
    expect(button).to_be_focused()
    expect(page.locator(".form-errors, .messages .message-error")).to_have_count(0)
    button.click()
    expect(page.locator(".messages")).to_contain_text("You approved this version.")
    assert Approval.objects.get().approver == manager
