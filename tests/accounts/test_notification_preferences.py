"""/accounts/notifications/: a person sees the messages of their role, turns them on
and off, and notification_queue follows their choice; mandatory ones stay on."""

import re

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from notifications.models import NotificationPreference
from notifications.services import notification_queue
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/accounts/notifications/"


def checkboxes(response) -> dict[str, str]:
    """Each event's checkbox on the page: name → "on", "off" or "mandatory"."""
    html = response.content.decode()
    boxes = {}
    for name in re.findall(r'name="shown" value="([^"]+)"', html):
        ticked = re.search(rf'name="email" value="{re.escape(name)}"[^>]*\bchecked\b', html)
        boxes[name] = "on" if ticked else "off"
    return boxes


def labels(response) -> str:
    return response.content.decode()


def queued_to(person, event) -> bool:
    return bool(notification_queue(recipients=[person], subject="s", body="b", event=event))


def test_a_lead_sees_lead_events_on_by_default(client, lead):
    sign_in(client, lead)
    response = client.get(URL)
    assert response.status_code == 200
    boxes = checkboxes(response)
    assert boxes["incident.filed"] == "on"
    assert boxes["resource.spike"] == "on"
    assert boxes["incident.filed_any"] == "off"
    assert "disclosure.submitted" not in boxes
    assert "Audit chain broken" in labels(response)
    assert "Always sent" in labels(response)


def test_a_manager_sees_approvals_and_not_lead_only_events(client, manager):
    sign_in(client, manager)
    boxes = checkboxes(client.get(URL))
    assert boxes["disclosure.submitted"] == "on"
    assert "incident.filed" not in boxes
    assert "resource.spike" not in boxes


def test_mandatory_events_are_shown_always_on_and_cannot_be_posted_off(client, auditor):
    sign_in(client, auditor)
    html = client.get(URL).content.decode()
    assert re.search(r'checked disabled aria-describedby="id_mandatory_\d+"', html)
    assert "audit.chain_broken" not in checkboxes(client.get(URL))

    response = client.post(URL, {"shown": ["audit.chain_broken"]})

    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()
    assert queued_to(auditor, "audit.chain_broken")


def test_turning_an_event_off_is_saved_audited_and_respected(client, lead):
    sign_in(client, lead)
    boxes = checkboxes(client.get(URL))
    shown = list(boxes)
    ticked = [name for name, state in boxes.items() if state == "on" and name != "incident.filed"]

    response = client.post(URL, {"shown": shown, "email": ticked})

    assert response.status_code == 302
    assert checkboxes(client.get(URL))["incident.filed"] == "off"
    assert not queued_to(lead, "incident.filed")
    event = AuditEvent.objects.get(action="notification.preferences_changed")
    assert event.data == {"changed": {"incident.filed": False}}
    assert event.actor_id == lead.pk


def test_opting_in_to_every_filing_is_respected(client, lead):
    sign_in(client, lead)
    assert not queued_to(lead, "incident.filed_any")
    client.post(URL, {"shown": ["incident.filed_any"], "email": ["incident.filed_any"]})
    assert queued_to(lead, "incident.filed_any")
    assert checkboxes(client.get(URL))["incident.filed_any"] == "on"


def test_posting_what_is_already_so_changes_and_records_nothing(client, lead):
    sign_in(client, lead)
    boxes = checkboxes(client.get(URL))
    client.post(URL, {"shown": list(boxes), "email": [n for n, v in boxes.items() if v == "on"]})
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.filter(action="notification.preferences_changed").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"shown": ["incident.filed", "no.such.event"], "email": []},
        {"shown": ["incident.filed"], "email": ["incident.filed", "no.such.event"]},
        # An event not offered to leads: not on their page, so not theirs to set.
        {"shown": ["incident.filed", "disclosure.submitted"], "email": []},
    ],
)
def test_a_bad_event_name_is_a_400_and_changes_nothing(client, lead, data):
    sign_in(client, lead)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not NotificationPreference.objects.exists()
    assert queued_to(lead, "incident.filed")


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_security_page_links_to_it(client, make_member):
    person = make_member(Role.RESPONDER)
    sign_in(client, person)
    assert f'href="{URL}"' in client.get("/accounts/security/").content.decode()
