"""Hand-over outside Cordon: a custody event with to whom, why and the hash then."""

import pytest

from audit.models import AuditEvent
from evidence import services
from evidence.models import Action
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

DATA = b"memory image slice " * 64


@pytest.fixture
def item(token_client, responder, incident, push):
    item_id = push(token_client(responder, "evidence:write"), incident, DATA).json()["id"]
    return services.evidence_hash_stored(evidence_id=item_id)


def transfer(
    client, item, recipient="Federal police, cybercrime unit", reason="Court order 17/2026"
):
    return client.post(f"/evidence/{item.pk}/transfer/", {"recipient": recipient, "reason": reason})


def test_a_hand_over_is_a_custody_event_with_recipient_reason_and_hash(client, lead, item):
    sign_in(client, lead)
    response = transfer(client, item)
    assert response.status_code == 302
    event = item.custody.get(action=Action.TRANSFERRED)
    assert event.actor == lead
    assert event.data == {"to": "Federal police, cybercrime unit"}
    assert event.reason == "Court order 17/2026"
    assert event.sha256 == item.sha256
    assert AuditEvent.objects.filter(action="evidence.transferred", actor=lead).exists()


def test_a_hand_over_needs_a_fresh_step_up(client, lead, item):
    sign_in(client, lead, step_up=False)
    response = transfer(client, item, reason="x")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert not item.custody.filter(action=Action.TRANSFERRED).exists()


@pytest.mark.parametrize("field", ["recipient", "reason"])
def test_a_hand_over_needs_recipient_and_reason(client, lead, item, field):
    sign_in(client, lead)
    transfer(client, item, **{field: "  "})
    assert not item.custody.filter(action=Action.TRANSFERRED).exists()


def test_a_reporter_cannot_record_a_hand_over(client, reporter, make_incident, token_client, push):
    own = make_incident(reporter=reporter)
    item_id = push(token_client(reporter, "evidence:write"), own, DATA).json()["id"]
    sign_in(client, reporter)
    assert (
        client.post(f"/evidence/{item_id}/transfer/", {"recipient": "x", "reason": "y"}).status_code
        == 403
    )
