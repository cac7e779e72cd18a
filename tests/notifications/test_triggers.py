"""Each notification event is queued by its real trigger, to the people it concerns,
with its event name on the outbox row (the account events are in
tests/accounts/test_security_alerts.py)."""

import datetime as dt

import pytest
from django.utils import timezone

import audit
from accounts.roles import Role
from audit.models import AuditEvent
from audit.monitor import Sample, resource_check
from audit.services import verify_chain_incrementally
from audit.tasks import audit_verify_chain
from disclosures import services as disclosure_services
from disclosures.models import Audience, Regime
from disclosures.reminders import reminders_send
from evidence import services as evidence_services
from incidents import services as incident_services
from notifications.models import Notification
from notifications.services import notification_preference_set
from tests.audit.test_chain import tampering
from tests.evidence import conftest as evidence_fixtures
from tests.factories import fill_blanks

vault = evidence_fixtures.vault  # a vault folder of the test's own
push = evidence_fixtures.push

pytestmark = pytest.mark.django_db


def told(event) -> set[str]:
    return set(
        Notification.objects.filter(event=event).values_list("recipient__username", flat=True)
    )


# --- Evidence ------------------------------------------------------------------------


def test_verified_evidence_is_told_to_the_uploader_only(
    token_client, responder, lead, incident, push
):
    item_id = push(token_client(responder), incident, b"x" * 1000).json()["id"]
    evidence_services.evidence_hash_stored(evidence_id=item_id)
    assert told("evidence.verified") == {responder.username}
    assert told("evidence.integrity_failure") == set()


def test_the_uploader_can_turn_verified_evidence_off(token_client, responder, incident, push):
    notification_preference_set(user=responder, event="evidence.verified", email=False)
    item_id = push(token_client(responder), incident, b"x" * 1000).json()["id"]
    evidence_services.evidence_hash_stored(evidence_id=item_id)
    assert told("evidence.verified") == set()


def test_an_integrity_failure_is_told_to_crew_and_leads(
    token_client, responder, lead, incident, push, make_member
):
    crew = make_member(Role.RESPONDER, username="crew-member")
    incident_services.crew_add(incident=incident, actor=lead, user=crew)
    wrong = "0" * 64
    item_id = push(token_client(responder), incident, b"x" * 1000, sha256=wrong).json()["id"]
    evidence_services.evidence_hash_stored(evidence_id=item_id)
    assert told("evidence.integrity_failure") == {crew.username, lead.username}
    assert told("evidence.verified") == set()


# --- Disclosures -------------------------------------------------------------------------


@pytest.fixture
def draft(incident, responder):
    return disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )


def test_a_submitted_disclosure_goes_to_the_managers_not_its_author_or_others(
    draft, responder, manager, lead, legal
):
    fill_blanks(draft, responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=responder)
    assert told("disclosure.submitted") == {manager.username}


def test_a_manager_who_cannot_see_a_restricted_incident_is_not_told_of_its_disclosure(
    make_incident, responder, manager
):
    incident = make_incident(reporter=responder, restricted=True)
    draft = disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.USERS, regime=Regime.NONE
    )
    fill_blanks(draft, responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=responder)
    assert told("disclosure.submitted") == set()


def test_approval_and_publication_are_told_to_the_author_and_the_crew(
    draft, responder, manager, lead, make_member, auditor
):
    crew = make_member(Role.RESPONDER, username="crew-member")
    incident_services.crew_add(incident=draft.incident, actor=lead, user=crew)
    fill_blanks(draft, responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=responder)
    disclosure_services.disclosure_approve(disclosure=draft, actor=manager)
    assert told("disclosure.approved") == {responder.username, crew.username}

    disclosure_services.disclosure_publish(
        disclosure=draft, actor=lead, channel="regulator portal", recipients="DPA"
    )
    assert told("disclosure.published") == {responder.username, crew.username}


def test_deadline_reminders_carry_their_event_and_respect_an_opt_out(
    make_incident, responder, lead, manager
):
    incident = make_incident(reporter=responder, aware_at=timezone.now() - dt.timedelta(hours=40))
    disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    notification_preference_set(user=manager, event="disclosure.deadline_reminder", email=False)
    assert reminders_send() == 1
    assert told("disclosure.deadline_reminder") == {lead.username}  # crew, leads, managers


# --- Audit alerts ----------------------------------------------------------------------


def test_a_resource_spike_goes_to_leads_and_auditors(settings, lead, auditor, responder):
    settings.RESOURCE_SPIKE_SECONDS = 0
    resource_check(Sample(99, 10, 1, 1), now=0)
    assert told("resource.spike") == {lead.username, auditor.username}


def test_a_chain_break_reaches_auditors_even_if_they_tried_to_turn_it_off(auditor, lead):
    from notifications.models import NotificationPreference

    NotificationPreference.objects.create(user=auditor, event="audit.chain_broken", email=False)
    verify_chain_incrementally()
    for n in range(3):
        audit.record("test.event", data={"n": n})
    victim = AuditEvent.objects.order_by("-id")[1]
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [victim.id])
    audit_verify_chain()
    assert told("audit.chain_broken") == {auditor.username, lead.username}
