"""A closed incident is read-only for its tasks, tags, type and custom fields too: every
such service refuses with IncidentClosed (409) and writes nothing."""

import pytest

from incidents import services
from incidents.lifecycle import Status
from incidents.models import Incident, IncidentType
from incidents.services.common import IncidentClosed
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(lead):
    incident = services.incident_file(reporter=lead, title="Phishing wave", severity="low")
    task = services.task_add(incident=incident, actor=lead, title="Block the sender")
    Incident.objects.filter(pk=incident.pk).update(status=Status.CLOSED)
    incident.refresh_from_db()
    task.refresh_from_db()
    return incident, task


WRITES = {
    "task_update": lambda i, t, a: services.task_update(task=t, actor=a, title="Renamed"),
    "task_reassign": lambda i, t, a: services.task_reassign(task=t, actor=a, assignee=a),
    "task_change_status": lambda i, t, a: services.task_change_status(
        task=t, actor=a, status="done"
    ),
    "task_comment_add": lambda i, t, a: services.task_comment_add(task=t, actor=a, body="late"),
    "task_delete": lambda i, t, a: services.task_delete(task=t, actor=a, reason="not needed"),
    "incident_set_tags": lambda i, t, a: services.incident_set_tags(
        incident=i, actor=a, tags=["phishing"]
    ),
    "incident_change_type": lambda i, t, a: services.incident_change_type(
        incident=i, actor=a, incident_type=IncidentType.objects.get(key="phishing")
    ),
    "incident_set_custom_fields": lambda i, t, a: services.incident_set_custom_fields(
        incident=i, actor=a, values={}
    ),
    "playbook_tasks_add": lambda i, t, a: services.playbook_tasks_add(incident=i, actor=a, keys=[]),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_closed_incident_refuses_the_write(closed, lead, write):
    incident, task = closed
    with writes_nothing(), pytest.raises(IncidentClosed):
        WRITES[write](incident, task, lead)
