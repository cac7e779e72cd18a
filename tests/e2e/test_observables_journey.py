"""Observables in the system Chromium: a lead opens an incident whose description names
indicators, finds them on the extraction page (a public resolver flagged as benign,
unticked), adds the ticked ones, picks an ATT&CK technique with the search, downloads
the STIX bundle, and imports a MISP event into another incident."""

from __future__ import annotations

import json
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent
from observables.models import IncidentTechnique, Observable
from tests.e2e.helpers import PASSWORD, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIPTION = "Mail from hxxps://reset-portal[.]net/login; lookups went to 8.8.8.8."


@pytest.fixture
def lead(db):
    user, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_extract_pick_a_technique_export_and_import(page, lead, tmp_path):
    user, device = lead
    incident = IncidentFactory(reporter=user, title="Phishing wave", description=DESCRIPTION)
    other = IncidentFactory(reporter=user, title="Second wave")
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/")

    page.get_by_role("link", name=re.compile("Find values in the description")).click()
    page.wait_for_url(re.compile(rf"/observables/incidents/{incident.pk}/extract/$"))
    resolver = page.locator("tr", has_text="8.8.8.8")
    expect(resolver).to_contain_text("Known benign")
    expect(resolver.locator("input[type=checkbox]")).not_to_be_checked()
    expect(page.locator("tr", has_text="reset-portal.net/login").locator("input")).to_be_checked()
    page.get_by_role("button", name="Add ticked values").click()
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/"))
    values = set(
        Observable.objects.filter(incident=incident).values_list("normalized_value", flat=True)
    )
    assert "https://reset-portal.net/login" in values and "8.8.8.8" not in values

    techniques = page.locator("#section-techniques")
    techniques.locator("input[name=technique_q]").fill("spearphishing link")
    techniques.get_by_role("button", name="Search").click()
    techniques.locator("form", has_text="T1566.002").get_by_role("button").click()
    expect(page.locator("#section-techniques ul.techniques")).to_contain_text("T1566.002")
    assert IncidentTechnique.objects.filter(incident=incident, technique_id="T1566.002").exists()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="STIX 2.1 bundle").click()
    bundle = json.loads(download_info.value.path().read_text())
    assert bundle["type"] == "bundle"
    assert AuditEvent.objects.filter(action="observables.exported").count() == 1

    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"Event": {"info": "x", "Attribute": [{"type": "domain", "value": "c2.net"}]}})
    )
    page.goto(f"/incidents/{other.pk}/")
    form = page.locator("form.observables-import")
    form.locator("input[name=file]").set_input_files(event)
    form.get_by_role("button", name="Import").click()
    expect(page.locator("#section-observables")).to_contain_text("c2.net")
    assert Observable.objects.get(incident=other).source == "imported"
