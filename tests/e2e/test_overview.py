"""The overview in the browser: a published notice's clock has stopped (met or missed),
an overdue task says so, and an integrity failure is acknowledged from its card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from disclosures import services as disclosure_services
from incidents import services as incident_services
from tests.e2e.helpers import PASSWORD, received_evidence, sign_in
from tests.factories import IncidentFactory, fill_blanks

pytestmark = pytest.mark.django_db(transaction=True)


def person(username: str, role: str):
    user, _ = member_save(actor=None, username=username, role=role, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_stopped_clocks_overdue_tasks_and_acknowledging_an_integrity_failure(
    page, settings, tmp_path
):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lead, device = person("lea", Role.LEAD)
    manager, _ = person("mona", Role.MANAGER)
    incident = IncidentFactory(
        reporter=lead,
        title="Payroll export leaked",
        aware_at=timezone.now() - dt.timedelta(hours=100),
    )
    notice = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    fill_blanks(notice, lead)
    disclosure_services.disclosure_submit(disclosure=notice, actor=lead)
    disclosure_services.disclosure_approve(disclosure=notice, actor=manager)
    disclosure_services.disclosure_publish(
        disclosure=notice,
        actor=manager,
        channel="regulator portal",
        recipients="the supervisory authority",
        late_reason="The payroll provider told us late.",
    )
    incident_services.task_add(
        incident=incident,
        actor=lead,
        title="Rotate the payroll API key",
        assignee=lead,
        due_date=timezone.localdate() - dt.timedelta(days=1),
    )
    item = received_evidence(
        incident, lead, b"payroll.csv", name="payroll.csv", sender_sha256="0" * 64
    )

    sign_in(page, "lea", device, next_path="/")

    clocks = page.locator("section[aria-labelledby=clocks-heading]")
    expect(clocks).to_contain_text("missed: sent 1 d 4 h")
    expect(clocks).not_to_contain_text("overdue by")
    tasks = page.locator("section[aria-labelledby=tasks-heading]")
    expect(tasks.locator(".badge-overdue")).to_contain_text("(overdue)")

    alarms = page.locator("section[aria-labelledby=integrity-heading]")
    expect(alarms).to_contain_text(f"Evidence #{item.pk} payroll.csv")
    alarms.get_by_role("button", name=f"Acknowledge evidence #{item.pk}").click()
    expect(page.locator(".messages")).to_contain_text(f"Acknowledged: evidence #{item.pk}")
    expect(alarms).not_to_contain_text(f"Evidence #{item.pk} payroll.csv")
    expect(alarms).to_contain_text("You acknowledged 1")
