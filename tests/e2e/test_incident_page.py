"""The incident page built for the work, in Chromium: the header stays while the
responder scrolls (reference, title, severity, status, TLP, clocks, crew), its links
reach every section, forms open when asked for, the incident is edited in place, and
the page fits the window with realistic content."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from incidents import services as incident_services
from incidents.models import CrewRole
from tests.e2e.helpers import PASSWORD, assert_fits_the_window, open_form, sign_in
from tests.e2e.test_page_widths import long_content  # noqa: F401 - the realistic content
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def busy_incident(db):
    """A lead and a medium incident with a crew, tasks, systems and a long timeline."""
    lead, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    device = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True)
    incident = IncidentFactory(reporter=lead, title="Suspicious VPN logins", severity="medium")
    for number, role in enumerate([CrewRole.COMMANDER, CrewRole.RESPONDER, CrewRole.LEGAL]):
        person, _ = member_save(
            actor=None, username=f"crew{number}", role=Role.RESPONDER, password=PASSWORD
        )
        incident_services.crew_add(incident=incident, actor=lead, user=person, role=role)
    for number in range(25):
        incident_services.timeline_entry_add(
            incident=incident, actor=lead, body=f"Checked VPN gateway log {number}."
        )
        incident_services.task_add(incident=incident, actor=lead, title=f"Follow-up {number}")
    return lead, device, incident


def test_the_incident_page_fits_the_window_with_realistic_content(page, long_content):  # noqa: F811
    lead, device, incident, *_ = long_content
    sign_in(page, lead.username, device, next_path="/")
    assert_fits_the_window(page, f"/incidents/{incident.pk}/")


def test_the_header_stays_and_its_links_reach_the_sections(page, busy_incident):
    _lead, device, incident = busy_incident
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/")
    header = page.locator("#incident-header")
    expect(header).to_contain_text(incident.reference)
    expect(header).to_contain_text("Medium severity")
    expect(header).to_contain_text("crew0 (commander)")
    expect(header.locator(".marking-tlp, [class*=tlp]").first).to_be_visible()
    # The forms wait to be asked for: the facts come first.
    expect(page.locator("#section-tasks form[action$='/tasks/']")).to_be_hidden()

    header.get_by_role("link", name="Tasks", exact=True).click()
    page.wait_for_function("() => location.hash === '#section-tasks'")
    page.wait_for_function("() => window.scrollY > 500")
    box = header.bounding_box()
    assert box is not None and abs(box["y"]) < 1, box  # still at the top of the window
    heading = page.locator("#heading-tasks").bounding_box()
    assert heading is not None and box["height"] <= heading["y"] < 768, (box, heading)

    open_form(page.locator("#section-tasks"), "Add a task")
    tasks = page.locator("#section-tasks")
    tasks.locator("form.subform [name=title]").fill("Block the VPN account of the contractor")
    tasks.locator("form.subform [type=submit]").click()
    expect(tasks.locator("table")).to_contain_text("Block the VPN account")
    expect(tasks.locator(".notice")).to_be_focused()


def test_editing_the_incident_in_the_browser(page, busy_incident):
    _lead, device, incident = busy_incident
    sign_in(page, "lea", device, next_path=f"/incidents/{incident.pk}/")
    summary = page.locator("#section-summary")
    open_form(summary, "Edit the incident")
    form = summary.locator("form")
    expect(form.locator("[name=title]")).to_have_value("Suspicious VPN logins")

    # A time in the future: the server's error is at the field, and what was typed stays.
    form.locator("[name=occurred_at]").fill("2999-01-01T00:00")
    form.locator("[name=severity]").select_option("critical")
    form.locator("[type=submit]").click()
    occurred = page.locator("#section-summary [name=occurred_at]")
    expect(occurred).to_have_attribute("aria-invalid", "true")
    expect(occurred).to_be_focused()
    expect(page.locator("#section-summary [name=severity]")).to_have_value("critical")
    incident.refresh_from_db()
    assert incident.severity == "medium"

    form = page.locator("#section-summary form")
    form.locator("[name=occurred_at]").fill("")
    form.locator("[name=title]").fill("Contractor VPN account used by an attacker")
    form.locator("[name=tlp]").select_option("red")
    form.locator("[name=estimated_affected_people]").fill("340")
    form.locator("input[name=data_categories][value=credentials]").check()
    form.locator("[type=submit]").click()

    header = page.locator("#incident-header")
    expect(header).to_contain_text("Critical severity")
    expect(header).to_contain_text("Contractor VPN account used by an attacker")
    expect(header).to_contain_text("TLP:RED")
    expect(page.locator("#section-summary .notice")).to_have_text("The incident was updated.")
    expect(page.locator("#section-summary")).to_contain_text("Passwords and credentials")
    expect(page.locator("#section-timeline .timeline")).to_contain_text(
        "Severity changed from Medium to Critical."
    )
    incident.refresh_from_db()
    assert (incident.severity, incident.tlp, incident.estimated_affected_people) == (
        "critical",
        "red",
        340,
    )
