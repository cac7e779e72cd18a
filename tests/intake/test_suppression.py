"""Suppression rules: leads add them; matching alerts are recorded as ignored by the
rule and counted, never lost; the time window and the end of a rule count."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from intake.models import Alert, AlertStatus, SuppressionRule
from tests.conftest import sign_in
from tests.intake.conftest import send
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

PAGE = "/intake/suppression/"


def test_a_lead_adds_a_rule_and_matching_alerts_are_ignored_and_counted(client, lead, responder):
    sign_in(client, lead)
    response = client.post(
        PAGE, {"source": "nessus", "observable_value": "192.0.2[.]50", "reason": "our scanner"}
    )
    assert response.status_code == 302, response.content
    rule = SuppressionRule.objects.get()
    assert rule.observable_value == "192.0.2.50"
    first = send(
        responder, source="nessus", title="Port scan", observables=[("ipv4", "192.0.2.50")]
    )
    send(responder, source="nessus", title="Port scan", observables=[("ipv4", "192.0.2.50")])
    other = send(
        responder, source="nessus", title="Port scan", observables=[("ipv4", "192.0.2.51")]
    )
    first.refresh_from_db()
    assert first.status == AlertStatus.IGNORED
    assert first.suppressed_by == rule
    assert "our scanner" in first.ignore_reason
    assert first.count == 2
    assert other.status == AlertStatus.NEW
    rule.refresh_from_db()
    assert rule.hits == 2
    assert AuditEvent.objects.filter(action="intake.suppression_added").exists()
    assert "our scanner" in client.get(PAGE).content.decode()


def test_a_rule_matches_only_within_its_window_and_until_ended(lead, responder):
    from intake.services import suppression_rule_add, suppression_rule_end

    later = suppression_rule_add(
        actor=lead,
        source="siem",
        reason="maintenance",
        starts_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert send(responder, source="siem", title="A").status == AlertStatus.NEW
    suppression_rule_end(rule=later, actor=lead)
    rule = suppression_rule_add(actor=lead, severity="low", reason="noise")
    assert send(responder, source="x", title="B", severity="low").status == AlertStatus.IGNORED
    suppression_rule_end(rule=rule, actor=lead)
    assert send(responder, source="x", title="C", severity="low").status == AlertStatus.NEW
    assert Alert.objects.count() == 3


def test_only_leads_add_rules_and_a_rule_must_match_something(client, responder, lead):
    sign_in(client, responder)
    with writes_nothing():
        assert client.post(PAGE, {"source": "x", "reason": "r"}).status_code == 403
    sign_in(client, lead)
    with writes_nothing():
        refused = client.post(PAGE, {"reason": "everything"})
    assert refused.status_code == 422
    assert "at least one" in refused.content.decode()


def test_a_value_a_forwarded_mail_only_contains_neither_silences_nor_joins(lead, responder):
    from incidents.models import Incident
    from intake.services import AlertInput, alerts_escalate, alerts_receive, suppression_rule_add
    from observables.models import Observable

    suppression_rule_add(actor=lead, observable_value="login.phish.example", reason="noise")
    (received,) = alerts_receive(
        sender=responder,
        items=[
            AlertInput(
                source="mail",
                title="Fwd: your account",
                observables=[("email", "victim@example.org")],
                proposed=[("domain", "login.phish.example")],
            )
        ],
    )
    alert = received.alert
    assert alert.status == AlertStatus.NEW  # the attacker's text decides nothing
    incident = alerts_escalate(alerts=[alert], actor=lead)
    assert isinstance(incident, Incident)
    values = set(
        Observable.objects.filter(incident=incident).values_list("normalized_value", flat=True)
    )
    assert values == {"victim@example.org"}
    assert alert.observables.filter(proposed=True).count() == 1  # still on the alert


def test_escalating_alerts_that_together_hold_over_a_thousand_observables(lead, responder):
    from intake.services import AlertInput, alerts_escalate, alerts_receive
    from observables.models import Observable

    items = [
        AlertInput(
            source="scanner",
            source_ref=f"batch-{batch}",
            title=f"Batch {batch}",
            observables=[("ipv4", f"10.{batch}.{n // 100}.{n % 100 + 1}") for n in range(200)],
        )
        for batch in range(6)
    ]
    alerts = [received.alert for received in alerts_receive(sender=responder, items=items)]
    incident = alerts_escalate(alerts=alerts, actor=lead)
    assert Observable.objects.filter(incident=incident).count() == 1200  # six alerts of 200
