"""Every service that writes to an incident, or what hangs off it, checks need-to-know
itself: a person who holds the permission but may not see the incident is refused,
whatever view or task called the service. Nothing is written."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.models import ContainmentState, EntryKind, ReviewSectionKind
from tests.incidents.test_review import NEXT_WEEK, section, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(lead, make_incident):
    """A restricted incident with a system and a task, already in review."""
    incident = walk_to(make_incident(reporter=lead, restricted=True), "review", lead)
    services.system_add(incident=incident, actor=lead, name="db-01")
    services.task_add(incident=incident, actor=lead, title="Rotate keys")
    return incident


@pytest.fixture
def outsider(make_member):
    """A responder (holds incidents.change_incident) who is not on the crew."""
    return make_member(Role.RESPONDER, username="outsider")


WRITES = {
    "incident_update": lambda i, a: services.incident_update(
        incident=i, actor=a, title="Renamed by an outsider"
    ),
    "incident_change_status": lambda i, a: services.incident_change_status(
        incident=i, actor=a, status="recovery", reason="outsider"
    ),
    "timeline_entry_add": lambda i, a: services.timeline_entry_add(
        incident=i, actor=a, body="seen from outside", kind=EntryKind.NOTE
    ),
    "system_add": lambda i, a: services.system_add(incident=i, actor=a, name="web-99"),
    "system_update": lambda i, a: services.system_update(
        system=i.systems.get(), actor=a, impact_end=dt.datetime.now(dt.UTC)
    ),
    "system_change_containment": lambda i, a: services.system_change_containment(
        system=i.systems.get(), actor=a, state=ContainmentState.ISOLATED
    ),
    "task_add": lambda i, a: services.task_add(incident=i, actor=a, title="outsider task"),
    "task_set_done": lambda i, a: services.task_set_done(task=i.tasks.get(), actor=a, done=True),
    "review_section_update": lambda i, a: services.review_section_update(
        section=section(i, ReviewSectionKind.SUMMARY), actor=a, body="outsider"
    ),
    "finding_add": lambda i, a: services.finding_add(
        section=section(i, ReviewSectionKind.SUMMARY), actor=a, body="outsider"
    ),
    "action_item_add": lambda i, a: services.action_item_add(
        section=section(i, ReviewSectionKind.SUMMARY),
        actor=a,
        title="outsider",
        owner=a,
        due_date=NEXT_WEEK,
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_service_refuses_a_person_who_may_not_see_the_incident(restricted, outsider, write):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        WRITES[write](restricted, outsider)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("write", ["timeline_entry_add", "system_add", "task_add"])
def test_the_same_person_on_the_crew_may_write(restricted, outsider, lead, write):
    services.crew_add(incident=restricted, actor=lead, user=outsider)
    WRITES[write](restricted, outsider)
