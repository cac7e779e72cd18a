"""Signed webhooks: signature, retries with backoff and jitter, dead letter, exactly once."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from notifications.models import WebhookDelivery, WebhookEvent, WebhookStatus
from notifications.services import (
    webhook_deliver,
    webhook_endpoint_create,
    webhook_publish,
    webhook_retry_delay,
    webhooks_due,
)
from notifications.webhooks import validate_webhook_url
from tests.conftest import wait_for
from tests.notifications.receiver import Receiver, free_port

EVENT = WebhookEvent.SECURITY_ALERT


def _endpoint(url, events=(EVENT,), **kwargs):
    endpoint, secret = webhook_endpoint_create(name="SOC", url=url, events=list(events), **kwargs)
    return endpoint, secret


def _make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_post_carries_the_payload_and_a_signature_the_receiver_can_verify(receiver):
    _, secret = _endpoint(receiver.url)
    (delivery,) = webhook_publish(
        event=EVENT, subject="Lockout of lea", text="5 failed logins", data={"user": "lea"}
    )

    delivery = webhook_deliver(delivery_pk=delivery.pk)

    assert delivery.status == WebhookStatus.SENT
    assert delivery.last_status_code == 204
    (request,) = receiver.requests
    headers = request["headers"]
    timestamp = headers["X-Cordon-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["X-Cordon-Signature"], f"sha256={expected}")
    assert abs(int(timestamp) - time.time()) < 60
    assert headers["Idempotency-Key"] == str(delivery.delivery_id)
    body = json.loads(request["body"])
    assert body == {
        "event": EVENT,
        "subject": "Lockout of lea",
        "text": "*Lockout of lea*\n5 failed logins",
        "data": {"user": "lea"},
        "id": str(delivery.delivery_id),
    }
    # A wrong secret does not verify.
    forged = hmac.new(b"other", timestamp.encode() + b"." + request["body"], hashlib.sha256)
    assert headers["X-Cordon-Signature"] != f"sha256={forged.hexdigest()}"


@pytest.mark.django_db
def test_an_acknowledged_delivery_is_never_posted_again(receiver):
    _endpoint(receiver.url)
    (delivery,) = webhook_publish(event=EVENT, subject="Once")

    for _ in range(3):
        webhook_deliver(delivery_pk=delivery.pk)
        _make_due(delivery)

    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.SENT
    assert delivery.attempts == 1
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_receiver_down_then_up_gets_exactly_one_delivery():
    port = free_port()
    _endpoint(f"http://127.0.0.1:{port}/hook")
    (delivery,) = webhook_publish(event=EVENT, subject="Retry me")

    delivery = webhook_deliver(delivery_pk=delivery.pk)
    assert delivery.status == WebhookStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    # Not due yet: a duplicate task message does not try early.
    assert webhook_deliver(delivery_pk=delivery.pk).attempts == 1
    assert webhooks_due() == []

    receiver = Receiver(port=port).start()
    try:
        _make_due(delivery)
        assert webhooks_due() == [delivery.pk]
        delivery = webhook_deliver(delivery_pk=delivery.pk)
        webhook_deliver(delivery_pk=delivery.pk)
    finally:
        receiver.stop()

    assert delivery.status == WebhookStatus.SENT
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_delivery_is_dead_after_the_configured_number_of_attempts(settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    failing = Receiver(status=500).start()
    try:
        _endpoint(failing.url)
        (delivery,) = webhook_publish(event=EVENT, subject="Doomed")
        for _ in range(5):
            delivery = webhook_deliver(delivery_pk=delivery.pk)
            _make_due(delivery)
    finally:
        failing.stop()

    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DEAD
    assert delivery.attempts == 3
    assert delivery.last_status_code == 500
    assert len(failing.requests) == 3
    assert webhooks_due() == []


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(settings):
    settings.NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS = 100
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {webhook_retry_delay(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1, "no jitter"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://user:pw@example.org/hook",
    ],
)
def test_private_and_non_http_targets_are_refused(settings, url):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


@pytest.mark.django_db
def test_a_target_that_became_private_is_refused_at_delivery_time(receiver, settings):
    _endpoint(receiver.url)
    (delivery,) = webhook_publish(event=EVENT, subject="Rebound")
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = False

    delivery = webhook_deliver(delivery_pk=delivery.pk)

    assert delivery.status == WebhookStatus.FAILED
    assert delivery.last_error.startswith("refused:")
    assert receiver.requests == []


@pytest.mark.django_db
def test_only_active_subscribed_endpoints_get_an_event(receiver):
    subscribed, _ = _endpoint(receiver.url)
    _endpoint(receiver.url, events=[WebhookEvent.RESOURCE_SPIKE])
    _endpoint(receiver.url, active=False)

    deliveries = webhook_publish(event=EVENT, subject="Hello")

    assert [d.endpoint for d in deliveries] == [subscribed]


@pytest.mark.django_db
def test_the_secret_never_reaches_the_audit_log(make_member, receiver):
    from audit.models import AuditEvent

    lead = make_member(Role.LEAD)
    endpoint, secret = _endpoint(receiver.url, created_by=lead)

    assert endpoint.secret == secret and len(secret) >= 40
    events = AuditEvent.objects.filter(action="model.created", target_id=str(endpoint.pk))
    assert events.exists()
    for event in AuditEvent.objects.all():
        assert secret not in json.dumps(event.data)


@pytest.fixture
def celery_worker_env():
    return {
        "NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS": "true",
        "NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS": "1",
    }


@pytest.mark.worker
def test_a_real_worker_retries_until_the_receiver_is_up_and_posts_once(celery_worker):
    port = free_port()
    _endpoint(f"http://127.0.0.1:{port}/hook")
    with transaction.atomic():
        (delivery,) = webhook_publish(event=EVENT, subject="Worker")

    wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, attempts__gte=1).exists())
    receiver = Receiver(port=port).start()
    try:
        wait_for(
            lambda: WebhookDelivery.objects.filter(
                pk=delivery.pk, status=WebhookStatus.SENT
            ).exists()
        )
        time.sleep(2)
    finally:
        receiver.stop()
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0]["body"])["id"] == str(delivery.delivery_id)
