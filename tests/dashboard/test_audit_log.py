"""/audit/: auditors and leads only; filters; exports need a fresh step-up and are audited."""

import csv
import io
import json
from urllib.parse import unquote

import pytest

import audit
from audit.models import AuditEvent
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("role_fixture", ["auditor", "lead"])
def test_auditors_and_leads_read_the_log(client, request, role_fixture):
    person = request.getfixturevalue(role_fixture)
    sign_in(client, person)
    audit.record("test.visible", data={"x": 1})
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "test.visible" in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["responder", "manager", "legal", "reporter"])
def test_other_roles_are_refused(client, request, role_fixture):
    sign_in(client, request.getfixturevalue(role_fixture))
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{audit.record('x.y').pk}/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_filters_by_action_actor_and_object(client, auditor, incident, responder):
    sign_in(client, auditor)
    audit.record("other.thing")
    page = client.get("/audit/", {"action": "incident.", "actor": responder.username}).content
    assert b"incident.filed" in page
    assert b"other.thing" not in page
    target = f"incidents.incident:{incident.pk}"
    page = client.get("/audit/", {"target": target}).content.decode()
    assert "incident.filed" in page
    assert "other.thing" not in page


def test_a_malformed_object_filter_is_a_clear_400(client, auditor):
    sign_in(client, auditor)
    response = client.get("/audit/", {"target": "nonsense"})
    assert response.status_code == 400
    assert "Write app.model or app.model:id." in response.content.decode()


def test_older_events_are_reached_page_by_page(client, auditor):
    sign_in(client, auditor)
    for n in range(60):
        audit.record("page.event", data={"n": n})
    first = client.get("/audit/", {"action": "page."})
    assert first.content.decode().count("page.event") == 50
    older = first.context["next_query"]
    second = client.get(f"/audit/?{older}")
    assert second.content.decode().count("page.event") == 10


def test_an_event_page_shows_its_hash_and_data(client, lead):
    sign_in(client, lead)
    event = audit.record("detail.event", data={"reason": "because"})
    page = client.get(f"/audit/{event.pk}/").content.decode()
    assert event.hash in page
    assert "because" in page


def test_export_without_a_fresh_step_up_goes_to_step_up_and_exports_nothing(client, auditor):
    sign_in(client, auditor, step_up=False)
    response = client.post(
        "/audit/export.jsonl", {"action": ""}, HTTP_REFERER="http://testserver/audit/"
    )
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/accounts/step-up/?next=/audit/")
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_export_as_json_lines_has_every_filtered_event_and_is_audited(client, auditor):
    sign_in(client, auditor)
    for n in range(3):
        audit.record("export.me", data={"n": n})
    response = client.post("/audit/export.jsonl", {"action": "export."})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in _body(response).splitlines()]
    assert [row["data"]["n"] for row in rows] == [0, 1, 2]
    assert all(len(row["hash"]) == 64 for row in rows)
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == auditor
    assert exported.data["format"] == "jsonl"


def test_export_as_csv_has_a_header_and_the_events(client, lead):
    sign_in(client, lead)
    audit.record("csv.me", data={"k": "v"})
    response = client.post("/audit/export.csv", {"action": "csv."})
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0][:3] == ["id", "created_at", "action"]
    assert [row[2] for row in rows[1:]] == ["csv.me"]


def test_export_is_post_only(client, auditor):
    sign_in(client, auditor)
    assert client.get("/audit/export.jsonl").status_code == 405
