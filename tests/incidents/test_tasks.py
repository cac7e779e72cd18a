"""Tasks people can work with: description, edit, reassign, status with skip reasons,
comments, delete with a reason, overdue marks; the API for tasks, timeline and crew."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from incidents import services
from incidents.models import IncidentType, Task, TaskComment, TimelineEntry
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(incident, responder):
    return services.task_add(
        incident=incident, actor=responder, title="Image www1", description="Full disk"
    )


def test_status_lifecycle_and_skip_needs_a_reason(task, responder):
    task = services.task_change_status(task=task, actor=responder, status="in_progress")
    assert task.status == "in_progress" and not task.done
    with pytest.raises(Exception, match="Say why"):
        services.task_change_status(task=task, actor=responder, status="skipped")
    task = services.task_change_status(
        task=task, actor=responder, status="skipped", reason="Host already reimaged"
    )
    assert task.skip_reason == "Host already reimaged" and not task.is_open
    task = services.task_change_status(task=task, actor=responder, status="done")
    assert task.done and task.done_at and task.skip_reason == ""


def test_assignee_without_crew_rights_moves_and_comments_but_cannot_edit(
    client, incident, responder, legal
):
    task = services.task_add(incident=incident, actor=responder, title="Notify", assignee=legal)
    sign_in(client, legal)
    base = f"/incidents/{incident.pk}/tasks/{task.pk}/"
    assert client.get(base).status_code == 200
    assert client.post(base + "status/", {"status": "in_progress"}).status_code == 302
    assert client.post(base + "comments/", {"body": "Drafting"}).status_code == 302
    assert client.post(base + "edit/", {"title": "x"}).status_code == 403
    assert client.post(base + "delete/", {"reason": "x"}).status_code == 403
    task.refresh_from_db()
    assert task.status == "in_progress" and task.comments.get().body == "Drafting"


def test_delete_needs_a_reason_which_is_audited(client, task, responder):
    sign_in(client, responder)
    url = f"/incidents/{task.incident_id}/tasks/{task.pk}/delete/"
    assert client.post(url, {"reason": ""}).status_code == 422
    assert Task.objects.filter(pk=task.pk).exists()
    assert client.post(url, {"reason": "Duplicate of another task"}).status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()
    event = AuditEvent.objects.get(action="incident.task_deleted")
    assert event.data["reason"] == "Duplicate of another task"


def test_overdue_is_marked_on_the_incident_dashboard_and_tracker(client, responder):
    aware = timezone.now() - timedelta(days=3)
    incident = services.incident_file(
        reporter=responder,
        title="Phish",
        severity="medium",
        aware_at=aware,
        incident_type=IncidentType.objects.get(key="phishing"),
    )
    collect = incident.tasks.get(playbook_key="collect")
    services.task_reassign(task=collect, actor=responder, assignee=responder)
    assert collect.is_overdue
    sign_in(client, responder)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "overdue" in page
    assert "(overdue)" in client.get("/").content.decode()
    tracker = client.get("/incidents/action-items/").content.decode()
    assert "Overdue tasks" in tracker and "Collect the message" in tracker
    services.task_change_status(task=collect, actor=responder, status="done")
    collect.refresh_from_db()
    assert not collect.is_overdue


def test_reassign_only_to_someone_who_sees_the_incident(make_member, make_incident, lead):
    restricted = make_incident(reporter=lead, restricted=True)
    outsider = make_member(username="outsider")
    task = services.task_add(incident=restricted, actor=lead, title="x")
    with pytest.raises(Exception, match="cannot see"):
        services.task_reassign(task=task, actor=lead, assignee=outsider)


# --- API -----------------------------------------------------------------------------


@pytest.fixture
def api(responder, token_client):
    return token_client(responder, "incidents:read", "incidents:write")


def test_api_tasks_crud(api, incident, responder):
    base = f"/api/v1/incidents/{incident.pk}/tasks/"
    created = api.post(base, {"title": "Rotate keys", "description": "All API keys"}, format="json")
    assert created.status_code == 201, created.json()
    url = f"{base}{created.json()['id']}/"
    answer = api.patch(url, {"status": "skipped"}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()
    answer = api.patch(
        url, {"status": "skipped", "reason": "Keys expired", "assignee": "rick"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "skipped" and answer.json()["assignee"] == "rick"
    comment = api.post(url + "comments/", {"body": "Checked"}, format="json")
    assert comment.status_code == 201
    assert api.get(url + "comments/").json()["results"][0]["body"] == "Checked"
    assert api.delete(url).status_code == 400
    assert api.delete(url + "?reason=Not+needed").status_code == 204
    assert not Task.objects.filter(title="Rotate keys").exists()


def test_api_timeline_and_crew(api, incident, lead, token_client, make_member):
    base = f"/api/v1/incidents/{incident.pk}/"
    entry = api.post(base + "timeline/", {"body": "Saw 198.51.100.7 in logs"}, format="json")
    assert entry.status_code == 201, entry.json()
    assert TimelineEntry.objects.filter(body__contains="198.51.100.7").exists()
    assert any(
        "198.51.100.7" in row["body"] for row in api.get(base + "timeline/").json()["results"]
    )
    assert (
        api.post(
            base + "timeline/", {"body": "x", "kind": "status_change"}, format="json"
        ).status_code
        == 400
    )
    newcomer = make_member(username="nina")
    lead_api = token_client(lead, "incidents:read", "incidents:write")
    added = lead_api.post(base + "crew/", {"user": "nina", "role": "responder"}, format="json")
    assert added.status_code == 201, added.json()
    assert api.post(base + "crew/", {"user": "nina"}, format="json").status_code in (400, 403)
    assert lead_api.delete(f"{base}crew/{added.json()['id']}/").status_code == 204
    assert not incident.crew.filter(user=newcomer).exists()


def test_api_is_404_for_an_invisible_incident(api, make_incident, lead):
    hidden = make_incident(reporter=lead, restricted=True)
    for part in ("tasks/", "timeline/", "crew/"):
        assert api.get(f"/api/v1/incidents/{hidden.pk}/{part}").status_code == 404
    assert not TaskComment.objects.exists()
