"""Webhook adapters with the bodies the tools send (tests/intake/payloads): mapped to
alerts, deduplicated on the tool's own ids, only with an alerts:write-only token."""

import copy
import json
from pathlib import Path

import pytest

from intake.models import Alert
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name):
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def url(adapter):
    return f"/api/v1/alerts/webhooks/{adapter}/"


@pytest.fixture
def hook(token_client, responder):
    return token_client(responder, "alerts:write")


def values(alert):
    return sorted(alert.observables.values_list("type", "normalized_value"))


def test_alertmanager_firing_alerts_become_alerts_and_repeats_count(hook):
    response = hook.post(url("alertmanager"), payload("alertmanager"))
    assert response.status_code == 201, response.content
    assert [item["created"] for item in response.json()] == [True, True]  # resolved skipped
    probe = Alert.objects.get(source_ref="1a30ba71cca2921f")
    assert probe.source == "alertmanager"
    assert probe.title == "BlackBox Probe Failure: https://www.example.org"
    assert probe.severity == "critical"
    assert probe.type == "ProbeFailure"
    assert probe.observed_at.isoformat().startswith("2026-02-06T13:08:45")
    assert values(probe) == [("url", "https://www.example.org/")]
    node = Alert.objects.get(source_ref="bc97ff14869b13e3")
    assert node.severity == "medium"
    assert ("ipv4", "192.0.2.10") in values(node)
    again = hook.post(url("alertmanager"), payload("alertmanager"))
    assert again.status_code == 200
    assert [item["count"] for item in again.json()] == [2, 2]
    assert Alert.objects.count() == 2


def test_elastic_security_alerts_become_alerts_with_their_observables(hook):
    response = hook.post(url("elastic"), payload("elastic"))
    assert response.status_code == 201, response.content
    first = Alert.objects.get(source_ref="8f3e1c0b2d6a4e7f9a1b3c5d7e9f0a2b")
    assert first.source == "elastic"
    assert first.title == "Volume Shadow Copy Deleted or Resized via VssAdmin"
    assert first.severity == "high"
    assert first.type == "query"
    assert first.observed_at.isoformat().startswith("2026-03-02T10:15:38")
    assert values(first) == [
        ("hostname", "win-fs01"),
        ("process", "vssadmin.exe"),
        ("sha256", "9a2f4e6b8c1d3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e1f3a5b7c9d0e2f"),
        ("user_account", "Administrator"),
    ]
    second = Alert.objects.get(source_ref="0c2e4a6b8d1f3a5c7e9b0d2f4a6c8e1b")
    assert ("ipv4", "198.51.100.77") in values(second)
    assert '"kibana.alert.uuid"' in first.raw_payload


def test_wazuh_alert_becomes_an_alert(hook):
    response = hook.post(url("wazuh"), payload("wazuh"))
    assert response.status_code == 201, response.content
    alert = Alert.objects.get()
    assert (alert.source, alert.source_ref) == ("wazuh", "1587082700.80945")
    assert alert.title == "sshd: Attempt to login using a non-existent user"
    assert alert.severity == "low"
    assert alert.type == "authentication_failed"
    assert "Failed password for invalid user admin" in alert.description
    assert values(alert) == [
        ("hostname", "web-server-01"),
        ("ipv4", "10.0.1.85"),
        ("ipv4", "203.0.113.89"),
        ("user_account", "admin"),
    ]
    critical = copy.deepcopy(payload("wazuh"))
    critical["id"] = "1587082700.99999"
    critical["rule"]["level"] = 12
    hook.post(url("wazuh"), [critical])
    assert Alert.objects.get(source_ref="1587082700.99999").severity == "critical"


@pytest.mark.parametrize("scopes", [("alerts:write", "alerts:read"), ("incidents:write",)])
def test_a_token_with_more_or_other_scopes_is_refused(token_client, responder, scopes):
    api = token_client(responder, *scopes)
    with writes_nothing():
        assert api.post(url("wazuh"), payload("wazuh")).status_code == 403


def test_a_body_that_is_not_the_tools_shape_is_400_and_unknown_adapters_404(hook):
    with writes_nothing():
        assert hook.post(url("wazuh"), {"no": "rule"}).status_code == 400
        assert hook.post(url("alertmanager"), {"alerts": "x"}).status_code == 400
        assert hook.post(url("elastic"), [1, 2]).status_code == 400
        assert hook.post(url("splunk"), {}).status_code == 404


def test_alertmanager_labels_or_annotations_of_another_shape_are_no_labels(hook):
    body = {
        "commonLabels": ["not", "a", "map"],
        "alerts": [
            {"status": "firing", "labels": ["x"], "annotations": "text", "fingerprint": "f1"},
            {"status": "firing", "labels": {"alertname": "Disk"}, "annotations": 5},
        ],
    }
    answer = hook.post(url("alertmanager"), body)
    assert answer.status_code in (200, 201), answer.content
    assert sorted(Alert.objects.values_list("title", flat=True)) == [
        "Alertmanager alert",
        "Disk",
    ]
