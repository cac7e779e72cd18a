"""Intake in the browser: a responder filters the queue, selects two alerts with the
keyboard-friendly check boxes and escalates them into one incident, which carries
their observables."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from incidents.models import Incident
from tests.e2e.helpers import PASSWORD, sign_in
from tests.intake.conftest import send

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_responder_escalates_a_selection_from_the_queue(page):
    rick, _ = member_save(actor=None, username="rick", role=Role.RESPONDER, password=PASSWORD)
    device = TOTPDevice.objects.create(user=rick, name="Authenticator app", confirmed=True)
    beacon = send(rick, source="edr", title="Beacon to C2", observables=[("ipv4", "192.0.2.7")])
    dropper = send(
        rick, source="edr", title="Dropper", severity="high", observables=[("md5", "a" * 32)]
    )
    noise = send(rick, source="scanner", title="Port scan")
    sign_in(page, "rick", device)
    page.goto("/intake/?source=edr")
    expect(page.get_by_text("Port scan")).to_have_count(0)
    page.get_by_label(f"Select alert {beacon.pk}").check()
    page.get_by_label(f"Select alert {dropper.pk}").check()
    page.get_by_label("Action").select_option("escalate")
    page.get_by_role("button", name="Apply").click()
    incident = Incident.objects.get()
    expect(page).to_have_url(f"{page.url.split('/incidents/')[0]}/incidents/{incident.pk}/")
    expect(page.get_by_text(incident.reference).first).to_be_visible()
    assert incident.severity == "high"
    assert set(incident.observables.values_list("normalized_value", flat=True)) == {
        "192.0.2.7",
        "a" * 32,
    }
    noise.refresh_from_db()
    assert noise.status == "new"
