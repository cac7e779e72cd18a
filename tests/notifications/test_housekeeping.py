"""Purging the outbox: delivered messages and finished webhook deliveries, after their
retention, in bounded batches, summed up in one audit event per run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from core import housekeeping
from notifications.housekeeping import notifications_purge_expired
from notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
)
from notifications.tasks import notifications_purge_expired as purge_task
from tests.conftest import wait_for

DAY = timedelta(days=1)


def _message(recipient, subject: str, *, status=DeliveryStatus.SENT, age=100 * DAY):
    when = timezone.now() - age
    return Notification.objects.create(
        recipient=recipient,
        subject=subject,
        body="The body",
        status=status,
        created_at=when,
        sent_at=when if status == DeliveryStatus.SENT else None,
    )


def _delivery(endpoint, event: str, *, status=WebhookStatus.SENT, age=100 * DAY):
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        subject=event,
        data={"detail": "alert"},
        status=status,
        created_at=timezone.now() - age,
    )


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(
        name="SOAR", url="https://soar.example/hook", secret="s", events=["security.alert"]
    )


def _subjects() -> set[str]:
    return set(Notification.objects.values_list("subject", flat=True))


def _events() -> set[str]:
    return set(WebhookDelivery.objects.values_list("event", flat=True))


@pytest.mark.django_db
def test_messages_sent_longer_ago_than_the_retention_are_purged(responder, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    _message(responder, "sent long ago", age=91 * DAY)
    _message(responder, "sent lately", age=89 * DAY)
    _message(responder, "never delivered", status=DeliveryStatus.PENDING, age=400 * DAY)
    _message(responder, "no address", status=DeliveryStatus.FAILED, age=400 * DAY)

    counts = notifications_purge_expired()

    assert counts["notifications"] == 1
    assert _subjects() == {"sent lately", "never delivered", "no address"}


@pytest.mark.django_db
def test_finished_webhook_deliveries_are_purged_and_those_to_retry_kept(endpoint, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    _delivery(endpoint, "sent.old", age=31 * DAY)
    _delivery(endpoint, "dead.old", status=WebhookStatus.DEAD, age=31 * DAY)
    _delivery(endpoint, "sent.lately", age=29 * DAY)
    _delivery(endpoint, "failed.old", status=WebhookStatus.FAILED, age=31 * DAY)
    _delivery(endpoint, "pending.old", status=WebhookStatus.PENDING, age=31 * DAY)

    counts = notifications_purge_expired()

    assert counts["webhook_deliveries"] == 2
    assert _events() == {"sent.lately", "failed.old", "pending.old"}
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.django_db
def test_a_run_is_one_summary_event_not_one_per_row_and_twice_is_harmless(responder, endpoint):
    for n in range(3):
        _message(responder, f"old {n}")
    _delivery(endpoint, "sent.old")
    before = AuditEvent.objects.count()

    first = notifications_purge_expired()
    second = notifications_purge_expired()

    assert first == {"notifications": 3, "inapp_notifications": 0, "webhook_deliveries": 1}
    assert second == {"notifications": 0, "inapp_notifications": 0, "webhook_deliveries": 0}
    (event,) = AuditEvent.objects.order_by("id")[before:]
    assert event.action == "housekeeping.purged"
    assert event.data == {
        "source": "notifications",
        "counts": first,
        "models": {"notifications.notification": 3, "notifications.webhookdelivery": 1},
    }
    assert not AuditEvent.objects.filter(action="model.deleted").exists()


@pytest.mark.django_db
def test_an_ordinary_delete_is_still_captured_row_by_row(responder):
    """Only a purge is summed up: the same delete outside one records each row."""
    message = _message(responder, "deleted by hand")

    Notification.objects.filter(pk=message.pk).delete()

    (event,) = AuditEvent.objects.filter(action="model.deleted")
    assert event.target_id == str(message.pk)
    assert not housekeeping.purging()


@pytest.mark.django_db
def test_rows_are_deleted_in_bounded_batches(responder, monkeypatch):
    monkeypatch.setattr(housekeeping, "BATCH_SIZE", 2)
    for n in range(5):
        _message(responder, f"old {n}")

    with CaptureQueriesContext(connection) as queries:
        counts = notifications_purge_expired()

    deletes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('DELETE FROM "notifications_notification"')
    ]
    assert counts["notifications"] == 5
    assert len(deletes) == 3  # 2 + 2 + 1 rows
    assert not Notification.objects.exists()


@pytest.mark.worker
def test_the_nightly_task_runs_on_a_real_worker(celery_worker, responder, endpoint, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-purge-expired"]
    assert entry["task"] == purge_task.name
    _message(responder, "sent long ago")
    _delivery(endpoint, "dead.old", status=WebhookStatus.DEAD)
    _message(responder, "sent today", age=timedelta(0))

    purge_task.delay()

    wait_for(lambda: _subjects() == {"sent today"} and not _events())
    wait_for(lambda: AuditEvent.objects.filter(action="housekeeping.purged").exists())


def test_read_in_app_notifications_go_after_the_retention_and_unread_ones_stay(responder, settings):
    from notifications.models import InAppNotification

    settings.NOTIFICATION_RETENTION_DAYS = 90
    now = timezone.now()
    old_read = InAppNotification.objects.create(
        recipient=responder, event="incident.filed", subject="old, read"
    )
    old_unread = InAppNotification.objects.create(
        recipient=responder, event="incident.filed", subject="old, unread"
    )
    recent_read = InAppNotification.objects.create(
        recipient=responder, event="incident.filed", subject="recent, read"
    )
    InAppNotification.objects.filter(pk=old_read.pk).update(read_at=now - timedelta(days=91))
    InAppNotification.objects.filter(pk=old_unread.pk).update(created_at=now - timedelta(days=400))
    InAppNotification.objects.filter(pk=recent_read.pk).update(read_at=now - timedelta(days=89))

    assert notifications_purge_expired()["inapp_notifications"] == 1
    assert set(InAppNotification.objects.values_list("pk", flat=True)) == {
        old_unread.pk,
        recent_read.pk,
    }
