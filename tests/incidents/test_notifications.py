"""What incidents and their reviews tell people (issue 6): each trigger queues its named
event in the outbox for the right people, never for the person who acted, and a
message about a restricted incident names only its reference and its path."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.lifecycle import Status
from incidents.models import ReviewSection
from notifications.models import Notification
from notifications.services import notification_preference_set

pytestmark = pytest.mark.django_db

NEXT_WEEK = timezone.localdate() + dt.timedelta(days=7)
TITLE = "Card skimmer on the checkout page"


def outbox(event) -> dict[str, Notification]:
    """The queued messages of `event`, by recipient user name."""
    return {
        message.recipient.username: message
        for message in Notification.objects.filter(event=event).select_related("recipient")
    }


@pytest.fixture
def other_lead(make_member):
    return make_member(Role.LEAD, username="leif")


def file(reporter, **fields):
    """File, then tell the leads as the task does once the filing commits."""
    fields.setdefault("title", TITLE)
    fields.setdefault("severity", "high")
    incident = services.incident_file(reporter=reporter, **fields)
    services.incident_notify_leads_of_filing(incident_id=incident.pk)
    return incident


def walk_to_review(incident, actor):
    for status in (Status.TRIAGE, Status.CONTAINMENT, Status.ERADICATION, Status.RECOVERY):
        incident = services.incident_change_status(incident=incident, actor=actor, status=status)
    return services.incident_change_status(incident=incident, actor=actor, status=Status.REVIEW)


# --- incident.filed -------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["high", "critical"])
def test_a_high_or_critical_filing_tells_every_lead_but_the_reporter(
    lead, other_lead, responder, severity
):
    incident = file(lead, severity=severity)
    sent = outbox("incident.filed")
    assert set(sent) == {"leif"}
    message = sent["leif"]
    assert incident.reference in message.subject
    assert TITLE in message.body
    assert f"/incidents/{incident.pk}/" in message.body
    assert f"severity {severity}" in message.body


@pytest.mark.parametrize("severity", ["low", "medium"])
def test_a_low_or_medium_filing_tells_no_lead_unless_they_opted_in(
    lead, other_lead, responder, severity
):
    file(responder, severity=severity)
    assert not Notification.objects.exists()
    notification_preference_set(user=other_lead, event="incident.filed_any", email=True)
    incident = file(responder, severity=severity)
    sent = outbox("incident.filed_any")
    assert set(sent) == {"leif"}
    assert incident.reference in sent["leif"].subject


def test_a_restricted_filing_names_only_the_reference_and_the_path(lead, responder):
    incident = file(responder, restricted=True, description="Skimmer found in app.js")
    message = outbox("incident.filed")["lea"]
    assert incident.reference in message.subject
    assert f"/incidents/{incident.pk}/" in message.body
    assert incident.reference in message.body
    for secret in (TITLE, "Skimmer", "skimmer", "high", responder.username):
        assert secret not in message.subject + message.body


# --- incident.severity_raised ---------------------------------------------------------


def test_raising_the_severity_tells_the_crew_and_the_leads_but_not_the_actor(
    lead, other_lead, responder, make_member
):
    incident = file(responder, severity="low")
    crew_member = make_member(Role.LEGAL, username="lars")
    bystander = make_member(Role.RESPONDER, username="bystander")
    services.crew_add(incident=incident, actor=lead, user=crew_member, role="legal")
    services.crew_add(incident=incident, actor=lead, user=responder)
    services.incident_update(incident=incident, actor=responder, severity="critical")
    sent = outbox("incident.severity_raised")
    assert set(sent) == {"lea", "leif", "lars"}
    assert bystander.username not in sent
    assert "from low to critical" in sent["lars"].body
    assert TITLE in sent["lars"].body
    event = AuditEvent.objects.get(action="incident.severity_raised")
    assert event.data == {"from": "low", "to": "critical"}
    assert event.actor_id == responder.pk


def test_lowering_or_keeping_the_severity_tells_nobody(lead, responder):
    incident = file(responder, severity="high")
    services.incident_update(incident=incident, actor=responder, severity="medium")
    services.incident_update(incident=incident, actor=responder, title="Renamed")
    assert not Notification.objects.filter(event="incident.severity_raised").exists()
    assert not AuditEvent.objects.filter(action="incident.severity_raised").exists()


def test_a_raised_severity_of_a_restricted_incident_names_only_reference_and_path(lead, responder):
    incident = file(lead, severity="low", restricted=True)
    services.crew_add(incident=incident, actor=lead, user=responder)
    services.incident_update(incident=incident, actor=lead, severity="high")
    message = outbox("incident.severity_raised")["rick"]
    assert TITLE not in message.subject + message.body
    assert "low" not in message.body and "high" not in message.body
    assert f"/incidents/{incident.pk}/" in message.body


# --- incident.crew_added --------------------------------------------------------------


def test_joining_a_crew_is_told_to_the_person_added_only(lead, responder, make_member):
    incident = file(lead, severity="low")
    services.crew_add(incident=incident, actor=lead, user=responder, role="commander")
    sent = outbox("incident.crew_added")
    assert set(sent) == {"rick"}
    assert "added you to the crew as incident commander" in sent["rick"].body
    assert TITLE in sent["rick"].body


def test_adding_oneself_to_a_crew_tells_nobody(lead):
    incident = file(lead, severity="low")
    services.crew_add(incident=incident, actor=lead, user=lead)
    assert not Notification.objects.filter(event="incident.crew_added").exists()


def test_the_crew_page_triggers_it_too(client, lead, responder):
    from tests.conftest import sign_in

    incident = file(lead, severity="low", restricted=True)
    sign_in(client, lead)
    response = client.post(
        f"/incidents/{incident.pk}/crew/", {"username": "rick", "role": "responder"}
    )
    assert response.status_code == 302
    message = outbox("incident.crew_added")["rick"]
    assert TITLE not in message.body and f"/incidents/{incident.pk}/" in message.body


# --- incident.task_assigned -----------------------------------------------------------


def test_a_task_assigned_to_someone_tells_them(lead, responder):
    incident = file(lead, severity="low")
    services.task_add(
        incident=incident,
        actor=lead,
        title="Image the disk",
        assignee=responder,
        due_date=NEXT_WEEK,
    )
    sent = outbox("incident.task_assigned")
    assert set(sent) == {"rick"}
    assert "“Image the disk”" in sent["rick"].body
    assert f"due {NEXT_WEEK:%Y-%m-%d}" in sent["rick"].body


def test_a_task_without_assignee_or_assigned_to_oneself_tells_nobody(lead):
    incident = file(lead, severity="low")
    services.task_add(incident=incident, actor=lead, title="Nobody's yet")
    services.task_add(incident=incident, actor=lead, title="Mine", assignee=lead)
    assert not Notification.objects.filter(event="incident.task_assigned").exists()


def test_an_assigned_task_of_a_restricted_incident_hides_the_task_title(lead, responder):
    incident = file(lead, severity="low", restricted=True)
    services.crew_add(incident=incident, actor=lead, user=responder)
    services.task_add(incident=incident, actor=lead, title="Image the disk", assignee=responder)
    message = outbox("incident.task_assigned")["rick"]
    assert "Image the disk" not in message.subject + message.body
    assert incident.reference in message.body


# --- review.action_item_assigned ------------------------------------------------------


@pytest.fixture
def summary_section(lead):
    incident = walk_to_review(file(lead, severity="low"), lead)
    return ReviewSection.objects.get(review__incident=incident, kind="summary")


def test_a_new_action_item_tells_its_owner_with_the_review_path(summary_section, lead, responder):
    services.action_item_add(
        section=summary_section,
        actor=lead,
        title="Pin CSP hashes",
        owner=responder,
        due_date=NEXT_WEEK,
    )
    sent = outbox("review.action_item_assigned")
    assert set(sent) == {"rick"}
    body = sent["rick"].body
    assert "“Pin CSP hashes”" in body and f"due {NEXT_WEEK:%Y-%m-%d}" in body
    assert f"/incidents/{summary_section.review.incident_id}/review/" in body


def test_an_action_item_one_owns_oneself_tells_nobody(summary_section, lead):
    services.action_item_add(
        section=summary_section, actor=lead, title="Mine", owner=lead, due_date=NEXT_WEEK
    )
    assert not Notification.objects.filter(event="review.action_item_assigned").exists()


def test_handing_an_action_item_to_someone_else_tells_the_new_owner(
    summary_section, lead, responder
):
    item = services.action_item_add(
        section=summary_section, actor=lead, title="Mine", owner=lead, due_date=NEXT_WEEK
    )
    services.action_item_update(item=item, actor=lead, owner=responder)
    assert set(outbox("review.action_item_assigned")) == {"rick"}
