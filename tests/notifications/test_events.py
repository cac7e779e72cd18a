"""Who gets what: the registry of events, the defaults of each role, and a person's own
choices, as notification_queue applies them to the candidates a sender names."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from notifications.events import ALL_ROLES, EVENTS, get_event
from notifications.models import NotificationPreference, WebhookEvent
from notifications.services import notification_preference_set, notification_queue

pytestmark = pytest.mark.django_db

ISSUE_EVENTS = {
    "incident.filed",
    "incident.severity_raised",
    "incident.crew_added",
    "incident.task_assigned",
    "review.action_item_assigned",
    "evidence.verified",
    "evidence.integrity_failure",
    "disclosure.submitted",
    "disclosure.approved",
    "disclosure.published",
    "disclosure.deadline_reminder",
    "account.locked_out",
    "account.new_login_address",
    "resource.spike",
    "audit.chain_broken",
}


def queue(people, event):
    return {
        n.recipient
        for n in notification_queue(recipients=people, subject="s", body="b", event=event)
    }


def test_every_event_of_the_issue_is_registered_with_roles_that_exist():
    assert set(EVENTS) >= ISSUE_EVENTS
    assert set(Role.values) == ALL_ROLES
    for event in EVENTS.values():
        assert event.offered_to <= ALL_ROLES
        assert event.default_roles is None or event.default_roles <= ALL_ROLES


def test_the_webhook_names_of_the_audit_alerts_are_the_notification_event_names():
    assert WebhookEvent.AUDIT_CHAIN_BROKEN.value in EVENTS
    assert WebhookEvent.RESOURCE_SPIKE.value in EVENTS


def test_security_alerts_about_ones_own_account_and_the_chain_break_are_mandatory():
    mandatory = {name for name, event in EVENTS.items() if event.mandatory}
    assert mandatory == {"account.locked_out", "account.new_login_address", "audit.chain_broken"}


def test_an_unknown_event_name_fails_loudly_and_queues_nothing(lead):
    with pytest.raises(ValueError, match=r"incident\.filled"):
        notification_queue(recipients=[lead], subject="s", body="b", event="incident.filled")
    with pytest.raises(ValueError):
        get_event("")
    assert not lead.notifications.exists()


def test_high_severity_filings_go_to_leads_by_default_and_not_to_others(lead, responder, manager):
    assert queue([lead, responder, manager], "incident.filed") == {lead}


def test_disclosure_submitted_goes_to_managers_and_legal_by_default(lead, manager, legal):
    assert queue([lead, manager, legal], "disclosure.submitted") == {manager, legal}


def test_resource_spikes_go_to_leads_and_auditors_by_default(lead, auditor, responder):
    assert queue([lead, auditor, responder], "resource.spike") == {lead, auditor}


@pytest.mark.parametrize("event", ["incident.crew_added", "incident.task_assigned"])
def test_a_message_to_a_named_person_reaches_whoever_is_addressed(event, make_member):
    people = [make_member(role) for role in Role.values]
    assert queue(people, event) == set(people)


def test_an_opt_out_is_respected(lead, make_member):
    other_lead = make_member(Role.LEAD)
    notification_preference_set(user=lead, event="incident.filed", email=False)
    assert queue([lead, other_lead], "incident.filed") == {other_lead}


def test_an_opt_in_beyond_the_role_default_is_respected(lead, responder):
    assert queue([lead], "incident.filed_any") == set()
    notification_preference_set(user=lead, event="incident.filed_any", email=True)
    assert queue([lead, responder], "incident.filed_any") == {lead}


def test_mandatory_events_ignore_opt_outs_written_behind_the_service(lead, auditor):
    # The service refuses the opt-out; a row written some other way changes nothing.
    with pytest.raises(ValidationError):
        notification_preference_set(user=auditor, event="audit.chain_broken", email=False)
    NotificationPreference.objects.create(user=auditor, event="audit.chain_broken", email=False)
    NotificationPreference.objects.create(user=lead, event="account.locked_out", email=False)
    assert queue([lead, auditor], "audit.chain_broken") == {lead, auditor}
    assert queue([lead], "account.locked_out") == {lead}


def test_an_unknown_event_cannot_be_chosen(lead):
    with pytest.raises(ValidationError):
        notification_preference_set(user=lead, event="nope", email=True)
    assert not NotificationPreference.objects.exists()


def test_without_an_event_every_recipient_gets_it(make_member):
    people = [make_member(role) for role in Role.values]
    sent = notification_queue(recipients=people, subject="s", body="b")
    assert {n.recipient for n in sent} == set(people)


def test_choosing_recipients_takes_the_same_number_of_queries_for_3_or_30(make_member):
    def queries_for(people):
        with CaptureQueriesContext(connection) as captured:
            queue(people, "resource.spike")
        # The per-person writes are the outbox rows themselves (and their capture);
        # what is measured here is everything else.
        return [
            q["sql"]
            for q in captured
            if "notifications_notificationpreference" in q["sql"] or "_user_groups" in q["sql"]
        ]

    few = [make_member(Role.LEAD) for _ in range(3)]
    many = few + [make_member(Role.AUDITOR) for _ in range(27)]
    assert len(queries_for(few)) == len(queries_for(many)) == 2
