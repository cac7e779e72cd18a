"""The leads hear of a filing from a task after it commits, not in the request: the
incident owes them the notice until then, it is sent once however often the task runs,
and beat sends what a lost task message left owing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.models import Incident
from incidents.tasks import incident_notify_leads, incidents_notify_owed_leads
from notifications.models import InAppNotification, Notification
from tests.conftest import wait_for


@pytest.fixture
def duty_lead(make_member):
    return make_member(Role.LEAD, username="duty-lead", email="duty-lead@example.org")


def owed(incident) -> bool:
    return Incident.objects.filter(pk=incident.pk, leads_notice_owed=True).exists()


@pytest.mark.django_db
def test_a_filing_owes_the_notice_and_the_request_writes_none(
    duty_lead, responder, token_client, django_capture_on_commit_callbacks
):
    api = token_client(responder, "incidents:write")
    with django_capture_on_commit_callbacks() as callbacks:
        answer = api.post("/api/v1/incidents/", {"title": "Skimmer", "severity": "high"})
    assert answer.status_code == 201
    incident = Incident.objects.get(pk=answer.json()["id"])
    assert owed(incident)
    assert not Notification.objects.exists() and not InAppNotification.objects.exists()
    sends = [c for c in callbacks if getattr(c, "func", None) == incident_notify_leads.delay]
    assert [c.keywords for c in sends] == [{"incident_id": incident.pk}]


@pytest.mark.django_db
def test_the_notice_goes_once_however_often_it_is_asked_for(duty_lead, responder):
    incident = services.incident_file(reporter=responder, title="Skimmer", severity="high")
    assert services.incident_notify_leads_of_filing(incident_id=incident.pk) is True
    assert services.incident_notify_leads_of_filing(incident_id=incident.pk) is False
    assert not owed(incident)
    (mail,) = Notification.objects.filter(event="incident.filed")
    assert mail.recipient == duty_lead and incident.reference in mail.subject
    assert InAppNotification.objects.filter(recipient=duty_lead).count() == 1
    # Clearing the debt is bookkeeping: the notices are its record, not another event.
    assert not AuditEvent.objects.filter(
        action="model.bulk_updated", data__model="incidents.incident"
    ).exists()


@pytest.mark.django_db
def test_beat_sends_what_a_lost_message_left_owing_after_the_grace(duty_lead, responder):
    # In a test transaction nothing commits, so the filing's own task never runs: lost.
    lost = services.incident_file(reporter=responder, title="Lost", severity="critical")
    assert incidents_notify_owed_leads() == 0  # its own task still has its chance
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        fresh = services.incident_file(reporter=responder, title="Fresh", severity="high")
        assert incidents_notify_owed_leads() == 1
        assert incidents_notify_owed_leads() == 0
    assert not owed(lost) and owed(fresh)
    subjects = list(Notification.objects.values_list("subject", flat=True))
    assert subjects and all(lost.reference in subject for subject in subjects)


def test_a_real_worker_tells_the_leads_once_the_filing_commits(celery_worker, make_member):
    lead = make_member(Role.LEAD, username="duty-lead", email="duty-lead@example.org")
    reporter = make_member(Role.RESPONDER, username="reporter", email="")
    incident = services.incident_file(reporter=reporter, title="Web shell", severity="high")
    mail = wait_for(
        lambda: Notification.objects.filter(event="incident.filed", recipient=lead).first()
    )
    assert incident.reference in mail.subject
    wait_for(lambda: not owed(incident))


def test_beat_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["incidents-notice-sweep"]
    assert entry["task"] == incidents_notify_owed_leads.name
    assert entry["schedule"] == settings.INCIDENT_NOTICE_SWEEP_SECONDS > 0


@pytest.mark.django_db
def test_one_notice_that_fails_does_not_hold_back_the_others(duty_lead, responder, monkeypatch):
    from incidents.services import incident as filing

    broken = services.incident_file(reporter=responder, title="Broken", severity="high")
    fine = services.incident_file(reporter=responder, title="Fine", severity="high")
    real = filing._notify_leads_of_filing

    def fails_for_the_first(incident):
        if incident.pk == broken.pk:
            raise RuntimeError("a template that cannot render")
        real(incident)

    monkeypatch.setattr(filing, "_notify_leads_of_filing", fails_for_the_first)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert incidents_notify_owed_leads() == 1
    assert owed(broken) and not owed(fine)
