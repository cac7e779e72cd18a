"""A responder files a ransomware incident from the browser: choosing the type brings
its fields (htmx), filing creates the playbook's tasks with due dates, a task is worked
on its page, and the navigation's search box finds the incident by a field's value."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from incidents.models import Incident
from tests.e2e.helpers import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def responder(db):
    user, _ = member_save(actor=None, username="rick", role=Role.RESPONDER, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_file_with_a_type_work_a_task_and_find_it(page, responder):
    _, device = responder
    sign_in(page, "rick", device, next_path="/incidents/new/")
    page.locator("select[name=type]").select_option("ransomware")
    fields = page.locator("#section-type-fields")
    expect(fields).to_contain_text("Encrypted hosts")  # swapped in by htmx
    page.locator("input[name=title]").fill("File server encrypted")
    page.locator("select[name=severity]").select_option("critical")
    page.locator("input[name=cf_encrypted_hosts]").fill("12")
    page.locator("input[name=cf_strain]").fill("Quokkalocker")
    page.get_by_role("button", name="File incident").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))

    incident = Incident.objects.get(title="File server encrypted")
    tasks = page.locator("#section-tasks")
    expect(tasks).to_contain_text("Isolate infected systems")
    expect(page.locator("#section-classification")).to_contain_text("Quokkalocker")

    tasks.get_by_role("link", name=re.compile("Isolate infected systems")).click()
    page.locator("select[name=status]").select_option("skipped")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("main")).to_contain_text("Say why the task is skipped")
    page.locator("#id_taskstatus_reason").fill("Already isolated by the network team")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("dl.facts")).to_contain_text("Skipped")

    page.locator("#site-search-q").fill("quokkalocker")
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=quokkalocker"))
    expect(page.locator(".search-group")).to_contain_text(incident.reference)
    expect(page.locator(".search-group mark").first).to_have_text("Quokkalocker")
