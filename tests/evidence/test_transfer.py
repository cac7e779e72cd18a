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


# Issue 14, finding 1: recording a hand-over writes to the chain of custody, so it has
# its own permission (evidence.transfer_evidence), held by leads and responders only.
# Auditors are read-only (CONTRACT.md); managers, legal and reporters hand nothing over.
MAY_TRANSFER = ["lead", "responder"]
MAY_NOT_TRANSFER = ["auditor", "manager", "legal", "reporter"]


@pytest.fixture
def member_seeing(make_member, make_incident, token_client, push, item):
    """`member_seeing(role)` → (a person in that role, an item they see). A reporter
    sees only what they uploaded to what they filed, so theirs is their own upload."""

    def make(role):
        person = make_member(role, username=f"{role}-on-duty")
        if role != "reporter":
            return person, item
        own = make_incident(reporter=person)
        own_item_id = push(token_client(person, "evidence:write"), own, DATA).json()["id"]
        return person, services.evidence_hash_stored(evidence_id=own_item_id)

    return make


@pytest.mark.parametrize("role", MAY_NOT_TRANSFER)
def test_only_leads_and_responders_may_record_a_hand_over_in_the_browser(
    client, member_seeing, role
):
    person, seen = member_seeing(role)
    sign_in(client, person)
    page = client.get(f"/evidence/{seen.pk}/")
    assert page.status_code == 200  # they see the item, not the hand-over form
    assert f'action="/evidence/{seen.pk}/transfer/"' not in page.content.decode()
    assert transfer(client, seen).status_code == 403
    assert not seen.custody.filter(action=Action.TRANSFERRED).exists()
    assert not AuditEvent.objects.filter(action="evidence.transferred").exists()


@pytest.mark.parametrize("role", MAY_NOT_TRANSFER)
def test_the_hand_over_service_refuses_everyone_but_leads_and_responders(member_seeing, role):
    from django.core.exceptions import PermissionDenied

    person, seen = member_seeing(role)
    with pytest.raises(PermissionDenied):
        services.evidence_transfer(item=seen, actor=person, recipient="Police", reason="Order")
    assert not seen.custody.filter(action=Action.TRANSFERRED).exists()


@pytest.mark.parametrize("role", MAY_TRANSFER)
def test_leads_and_responders_record_a_hand_over_in_the_browser_and_the_service(
    client, member_seeing, role
):
    person, seen = member_seeing(role)
    sign_in(client, person)
    assert (
        f'action="/evidence/{seen.pk}/transfer/"'
        in client.get(f"/evidence/{seen.pk}/").content.decode()
    )
    assert transfer(client, seen).status_code == 302
    services.evidence_transfer(item=seen, actor=person, recipient="Forensic lab", reason="Copy")
    assert seen.custody.filter(action=Action.TRANSFERRED, actor=person).count() == 2


@pytest.mark.parametrize("role", [*MAY_TRANSFER, *MAY_NOT_TRANSFER])
def test_the_transfer_permission_is_granted_to_leads_and_responders_only(make_member, role):
    person = make_member(role, username=f"{role}-checked")
    assert person.has_perm("evidence.transfer_evidence") == (role in MAY_TRANSFER)
