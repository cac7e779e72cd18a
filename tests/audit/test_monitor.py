"""CPU/memory spikes: one event and one alert per episode, from injected samples."""

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from audit.monitor import Sample, resource_check, sample_now
from notifications.models import Notification, WebhookDelivery, WebhookEvent
from notifications.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

CALM = Sample(machine_cpu=12, machine_memory=40, process_cpu=3, process_memory=2)
BUSY = Sample(machine_cpu=97, machine_memory=40, process_cpu=3, process_memory=2)
FAT = Sample(machine_cpu=12, machine_memory=40, process_cpu=3, process_memory=95)


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.RESOURCE_CPU_PERCENT = 90
    settings.RESOURCE_MEMORY_PERCENT = 90
    settings.RESOURCE_SPIKE_SECONDS = 300
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = True


def _spikes():
    return AuditEvent.objects.filter(action="resource.spike")


def test_a_spike_held_for_the_configured_time_is_one_event_and_one_alert(make_member):
    lead = make_member(Role.LEAD, email="lead@example.org")
    webhook_endpoint_create(
        name="Pager", url="http://127.0.0.1:9/hook", events=[WebhookEvent.RESOURCE_SPIKE]
    )

    assert resource_check(BUSY, now=1000) == "high"
    assert resource_check(BUSY, now=1200) == "high"
    assert not _spikes().exists()
    assert resource_check(BUSY, now=1300) == "spike"
    assert resource_check(BUSY, now=1400) == "ongoing"
    assert resource_check(BUSY, now=9000) == "ongoing"

    (event,) = _spikes()
    assert event.data["over"] == ["machine_cpu"]
    assert event.data["seconds"] == 300
    assert event.data["sample"]["machine_cpu"] == 97
    (notification,) = Notification.objects.filter(recipient=lead)
    assert "Resource spike" in notification.subject
    assert WebhookDelivery.objects.filter(event=WebhookEvent.RESOURCE_SPIKE).count() == 1


def test_a_short_burst_is_not_a_spike():
    assert resource_check(BUSY, now=0) == "high"
    assert resource_check(CALM, now=200) == "normal"
    assert resource_check(BUSY, now=400) == "high"
    assert resource_check(BUSY, now=600) == "high"
    assert not _spikes().exists()


def test_a_new_episode_after_recovery_alerts_again():
    resource_check(FAT, now=0)
    assert resource_check(FAT, now=300) == "spike"
    assert resource_check(CALM, now=360) == "normal"
    resource_check(BUSY, now=400)
    assert resource_check(BUSY, now=700) == "spike"
    assert [event.data["over"] for event in _spikes().order_by("id")] == [
        ["process_memory"],
        ["machine_cpu"],
    ]


def test_the_real_sampler_measures_this_machine(monkeypatch):
    monkeypatch.setattr("audit.monitor.CPU_SAMPLE_SECONDS", 0.05)
    sample = sample_now()
    assert 0 <= sample.machine_cpu <= 100
    assert 0 < sample.machine_memory <= 100
    assert 0 < sample.process_memory <= 100


def test_the_beat_task_samples_and_checks(monkeypatch):
    from audit.tasks import audit_sample_resources

    monkeypatch.setattr("audit.monitor.sample_now", lambda: CALM)
    assert audit_sample_resources() == "normal"
