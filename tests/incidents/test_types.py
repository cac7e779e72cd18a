"""Incident types and playbooks: built-ins, filing with a type (browser, API, CLI
body), custom field validation, changing the type, the lead's pages, export/import."""

import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from incidents import services
from incidents.models import Incident, IncidentType, Task
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


@pytest.fixture
def writer(responder, token_client):
    return token_client(responder, "incidents:read", "incidents:write")


def ransomware():
    return IncidentType.objects.get(key="ransomware")


def test_builtin_types_are_installed_and_web_app_follows_the_article():
    keys = set(IncidentType.objects.values_list("key", flat=True))
    assert {
        "web_app_compromise",
        "ransomware",
        "phishing",
        "data_leak",
        "lost_device",
        "ddos",
        "insider",
    } <= keys
    web = IncidentType.objects.get(key="web_app_compromise")
    assert {task["phase"] for task in web.playbook} == {
        "assess_contain",
        "disclose",
        "find_patch",
        "prepare",
    }
    assert [section["key"] for section in web.review_sections] == [
        "code_security",
        "static_content",
        "authentication",
        "authorization",
        "monitoring",
        "human_factors",
    ]


def test_api_filing_with_a_type_creates_playbook_tasks_due_after_aware_at(writer):
    aware = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)
    answer = writer.post(
        URL,
        {
            "title": "Files encrypted on fs1",
            "severity": "critical",
            "type": "ransomware",
            "aware_at": aware.isoformat(),
            "tags": ["finance"],
            "custom_fields": {"encrypted_hosts": 12, "strain": "LockBit"},
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["type"] == "ransomware"
    assert body["tags"] == ["ransomware", "malware", "finance"]
    assert body["custom_fields"] == {"encrypted_hosts": 12, "strain": "LockBit"}
    incident = Incident.objects.get(pk=body["id"])
    tasks = {task.playbook_key: task for task in incident.tasks.all()}
    assert set(tasks) == {entry["key"] for entry in ransomware().playbook}
    assert tasks["isolate"].due_at == aware + timedelta(hours=1)
    assert tasks["isolate"].phase == "assess_contain"
    assert tasks["authorities"].assignee_role == "legal"
    assert tasks["isolate"].is_overdue is False
    assert incident.tlp == "amber"


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        ({"strain": "x"}, "custom_fields.encrypted_hosts"),  # required missing
        ({"encrypted_hosts": "many"}, "custom_fields.encrypted_hosts"),  # not a number
        ({"encrypted_hosts": 1, "data_stolen": "maybe"}, "custom_fields.data_stolen"),
        ({"encrypted_hosts": 1, "leak_site": "javascript:alert(1)"}, "custom_fields.leak_site"),
        ({"encrypted_hosts": 1, "colour": "red"}, "custom_fields.colour"),  # unknown
    ],
)
def test_bad_custom_field_is_400_naming_the_field_and_writes_nothing(writer, fields, error_key):
    before = (Incident.objects.count(), Task.objects.count())
    answer = writer.post(
        URL,
        {"title": "x", "severity": "high", "type": "ransomware", "custom_fields": fields},
        format="json",
    )
    assert answer.status_code == 400
    assert error_key in answer.json()
    assert (Incident.objects.count(), Task.objects.count()) == before


def test_unknown_or_retired_type_is_400(writer, lead):
    assert writer.post(URL, {"title": "x", "severity": "low", "type": "nope"}).status_code == 400
    services.incident_type_set_retired(actor=lead, incident_type=ransomware(), retired=True)
    answer = writer.post(URL, {"title": "x", "severity": "low", "type": "ransomware"})
    assert answer.status_code == 400
    assert "type" in answer.json()


def test_filing_in_the_browser_with_a_type(client, responder):
    sign_in(client, responder)
    page = client.get("/incidents/new/?type=ransomware")
    assert b"cf_encrypted_hosts" in page.content
    refused = client.post(
        "/incidents/new/",
        {
            "title": "Encrypted",
            "severity": "critical",
            "type": "ransomware",
            "tlp": "amber",
            "pap": "amber",
        },
    )
    assert refused.status_code == 422
    assert "Encrypted hosts is required" in refused.content.decode()
    assert not Incident.objects.filter(title="Encrypted").exists()
    filed = client.post(
        "/incidents/new/",
        {
            "title": "Encrypted",
            "severity": "critical",
            "type": "ransomware",
            "tlp": "amber",
            "pap": "amber",
            "tags": "finance, fs1",
            "cf_encrypted_hosts": "3",
            "cf_data_stolen": "true",
        },
    )
    assert filed.status_code == 302
    incident = Incident.objects.get(title="Encrypted")
    assert incident.custom_fields == {"encrypted_hosts": 3, "data_stolen": True}
    assert incident.tasks.count() == len(ransomware().playbook)
    page = client.get(f"/incidents/{incident.pk}/")
    assert b"Encrypted hosts" in page.content and b"Ransomware" in page.content


def test_changing_the_type_offers_missing_tasks_and_never_forces_them(
    client, responder, lead, incident
):
    sign_in(client, responder)
    before = incident.tasks.count()
    answer = client.post(
        f"/incidents/{incident.pk}/classification/", {"part": "type", "type": "phishing"}
    )
    assert answer.status_code == 302
    incident.refresh_from_db()
    assert incident.incident_type.key == "phishing"
    assert incident.tasks.count() == before  # nothing forced
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Playbook tasks this incident does not have yet" in page
    services.crew_add(incident=incident, actor=lead, user=responder, role="responder")
    client.post(f"/incidents/{incident.pk}/playbook-tasks/", {"keys": ["collect", "block"]})
    assert set(incident.tasks.values_list("playbook_key", flat=True)) >= {"collect", "block"}
    # The playbook's default role: given to the crew member holding it.
    assert incident.tasks.get(playbook_key="collect").assignee == responder
    missing = {entry["key"] for entry in services.missing_playbook_entries(incident)}
    assert "collect" not in missing and "victims" in missing
    assert AuditEvent.objects.filter(action="incident.type_changed").exists()


def test_custom_fields_are_set_audited_and_filterable(responder, writer):
    incident = services.incident_file(
        reporter=responder,
        title="Lost laptop",
        severity="medium",
        incident_type=IncidentType.objects.get(key="lost_device"),
        custom_fields={"device": "X1 Carbon"},
    )
    services.incident_set_custom_fields(
        incident=incident, actor=responder, values={"device": "X1 Carbon", "encrypted": False}
    )
    event = AuditEvent.objects.filter(action="incident.custom_fields_changed").latest("id")
    assert event.data["encrypted"] == {"from": None, "to": False}
    assert [row["id"] for row in writer.get(URL, {"field": "encrypted:no"}).json()["results"]] == [
        incident.pk
    ]
    assert writer.get(URL, {"field": "device:X1 Carbon"}).json()["results"][0]["id"] == incident.pk
    assert writer.get(URL, {"field": "device:Other"}).json()["results"] == []
    assert writer.get(URL, {"field": "Robert'); DROP:1"}).json()["results"] == []
    # Lookup names are keys like any other, never lookups: no field holds them.
    for probe in ("isnull:x", "contains:x", "regex:(a", "has_key:device", "icontains:X1"):
        answer = writer.get(URL, {"field": probe})
        assert answer.status_code == 200 and answer.json()["results"] == [], probe
    answer = writer.patch(
        f"{URL}{incident.pk}/", {"custom_fields": {"lost_on": "yesterday"}}, format="json"
    )
    assert answer.status_code == 400 and "custom_fields.lost_on" in answer.json()


# --- The lead's pages: define, edit, retire, export, import -------------------------


def test_only_leads_edit_types(client, responder, lead):
    sign_in(client, responder)
    assert client.get("/incidents/types/").status_code == 200
    assert client.get("/incidents/types/ransomware/edit/").status_code == 403
    assert client.post("/incidents/types/ransomware/retire/").status_code == 403
    sign_in(client, lead)
    assert client.get("/incidents/types/ransomware/edit/").status_code == 200
    client.post("/incidents/types/ransomware/retire/", {"retired": "true"})
    assert ransomware().retired


def test_lead_defines_a_type_and_errors_name_the_path(client, lead):
    sign_in(client, lead)
    form = {
        "key": "supply_chain",
        "name": "Supply chain",
        "playbook": json.dumps(
            [
                {"key": "a", "title": "Inventory", "phase": "assess_contain", "after": ["b"]},
                {"key": "b", "title": "Contact vendor", "phase": "disclose", "after": ["a"]},
            ]
        ),
        "custom_fields": json.dumps([{"key": "vendor", "label": "Vendor", "kind": "text"}]),
    }
    refused = client.post("/incidents/types/new/", form)
    assert refused.status_code == 422
    assert (
        "playbook[0].after: The tasks depend on each other in a cycle" in refused.content.decode()
    )
    form["playbook"] = json.dumps(
        [{"key": "a", "title": "Inventory", "phase": "assess_contain", "due_hours": -4}]
    )
    refused = client.post("/incidents/types/new/", form)
    assert "playbook[0].due_hours" in refused.content.decode()
    form["playbook"] = json.dumps([{"key": "a", "title": "Inventory", "phase": "assess_contain"}])
    assert client.post("/incidents/types/new/", form).status_code == 302
    created = IncidentType.objects.get(key="supply_chain")
    assert created.playbook[0]["title"] == "Inventory"
    assert AuditEvent.objects.filter(action="incident_type.created").exists()


def test_export_then_import_round_trips_and_a_bad_file_is_400_naming_the_path(client, lead):
    sign_in(client, lead)
    exported = json.loads(client.get("/incidents/types/export/").content)
    assert exported["format"] == "cordon-incident-types"
    ddos = next(item for item in exported["types"] if item["key"] == "ddos")
    ddos["name"] = "DDoS attack"
    bad = json.loads(json.dumps(exported))
    bad["types"][1]["custom_fields"] = [{"key": "x", "label": "X", "kind": "colour"}]

    def upload(document):
        data = io.BytesIO(json.dumps(document).encode())
        data.name = "types.json"
        return client.post("/incidents/types/import/", {"file": data})

    refused = upload(bad)
    assert refused.status_code == 400
    assert "types[1].custom_fields[0].kind" in refused.content.decode()
    assert IncidentType.objects.get(key="ddos").name != "DDoS attack"  # nothing written
    assert upload(exported).status_code == 302
    assert IncidentType.objects.get(key="ddos").name == "DDoS attack"
    garbage = io.BytesIO(b"{not json")
    garbage.name = "x.json"
    assert client.post("/incidents/types/import/", {"file": garbage}).status_code == 400


def test_custom_fields_type_and_tags_are_in_the_printable_report(client, lead):
    incident = services.incident_file(
        reporter=lead,
        title="Encrypted file server",
        severity="critical",
        incident_type=ransomware(),
        tags=["finance"],
        custom_fields={"encrypted_hosts": 7, "strain": "<b>Akira</b>"},
    )
    sign_in(client, lead)
    page = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "<dt>Encrypted hosts</dt><dd>7</dd>" in page
    assert "&lt;b&gt;Akira&lt;/b&gt;" in page
    assert "<dt>Type</dt><dd>Ransomware</dd>" in page
    assert "finance" in page
