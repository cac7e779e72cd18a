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


@pytest.mark.parametrize(
    "path, data",
    [
        ("classification/", {"part": "tags", "tags": "phishing"}),
        ("classification/", {"part": "type", "type": "phishing"}),
        ("classification/", {"part": "fields"}),
        ("tasks/{task}/done/", {"done": "true"}),
    ],
)
def test_the_pages_answer_a_closed_incident_with_409_not_a_server_error(
    client, closed, lead, path, data
):
    from incidents.models import Task
    from tests.conftest import sign_in

    incident, task = closed
    Task.objects.filter(pk=task.pk).update(assignee=lead)  # the assignee may mark it done
    sign_in(client, lead)
    with writes_nothing():
        answer = client.post(
            f"/incidents/{incident.pk}/{path.format(task=task.pk)}", data, HTTP_HX_REQUEST="true"
        )
    assert answer.status_code == 409
    page = client.get(f"/incidents/{incident.pk}/")
    assert b'name="part" value="tags"' not in page.content  # no forms offered


def test_closing_warnings_count_skipped_tasks_as_finished(lead):
    from incidents.models import Task
    from incidents.selectors import closing_warnings

    incident = services.incident_file(reporter=lead, title="Phishing wave", severity="low")
    skipped = services.task_add(incident=incident, actor=lead, title="Not needed")
    services.task_add(incident=incident, actor=lead, title="Still to do")
    Task.objects.filter(pk=skipped.pk).update(
        status="skipped", skip_reason="Sender blocked upstream"
    )
    assert "1 open task" in closing_warnings(incident)
