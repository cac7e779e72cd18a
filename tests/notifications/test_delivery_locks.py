"""Delivering a message talks to the outside (an SMTP server, a webhook receiver) inside
the transaction that holds the message's row lock: that lock is what makes a second
delivery of the same message wait and then see it sent. The talking comes before the
transaction's first write, so it holds no lock another write needs: the two-connection
tests below send slowly in one thread and file an incident (an audited write) in
another, which must not wait. PostgreSQL only (row and advisory locks)."""

import threading
import time

import pytest
from django.core.mail.backends import locmem
from django.db import connection, connections

from incidents import services as incident_services
from notifications import services
from notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEvent,
    WebhookStatus,
)
from notifications.webhooks import WebhookResponse

pytestmark = pytest.mark.django_db(transaction=True)

SEND_SECONDS = 2
UNRELATED_WRITE_SECONDS = 1.0


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once need PostgreSQL")


def _in_another_connection(work, outcome: dict) -> None:
    try:
        outcome["result"] = work()
    except Exception as error:  # handed to the test, which asserts on it
        outcome["error"] = error
    finally:
        connections.close_all()  # this thread's connection only


def _file_an_incident_while(sending: threading.Event, work, lead) -> tuple[float, dict]:
    """Run `work` in another thread; once it is sending, file an incident here. Returns
    (seconds the filing took, the other thread's outcome)."""
    outcome: dict = {}
    sender = threading.Thread(target=_in_another_connection, args=(work, outcome))
    sender.start()
    try:
        assert sending.wait(timeout=10), "the delivery never started sending"
        started = time.monotonic()
        incident_services.incident_file(reporter=lead, title="Unrelated", severity="low")
        waited = time.monotonic() - started
    finally:
        sender.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    return waited, outcome


SENDING = threading.Event()


class SlowMailBackend(locmem.EmailBackend):
    """A mail server that takes SEND_SECONDS to accept a message."""

    def send_messages(self, messages):
        SENDING.set()
        time.sleep(SEND_SECONDS)
        return super().send_messages(messages)


def test_a_slow_mail_server_holds_up_no_other_write(settings, responder, lead):
    settings.EMAIL_BACKEND = f"{__name__}.SlowMailBackend"
    notification = Notification.objects.create(
        recipient=responder, subject="[Cordon] Test", body="Hello"
    )
    SENDING.clear()
    sending = SENDING

    waited, _ = _file_an_incident_while(
        sending,
        lambda: services.notification_deliver(notification_id=notification.pk),
        lead,
    )

    assert waited < UNRELATED_WRITE_SECONDS, f"filing waited {waited:.2f} s for the mail"
    assert Notification.objects.get(pk=notification.pk).status == DeliveryStatus.SENT


def test_a_slow_webhook_receiver_holds_up_no_other_write(monkeypatch, lead, settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = True
    endpoint, _secret = services.webhook_endpoint_create(
        name="SOC", url="http://127.0.0.1:9/hook", events=[WebhookEvent.SECURITY_ALERT]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.SECURITY_ALERT, subject="Lockout"
    )
    sending = threading.Event()

    def slow_post_json(**arguments):
        sending.set()
        time.sleep(SEND_SECONDS)
        return WebhookResponse(status=204, body="")

    monkeypatch.setattr(services.webhooks, "post_json", slow_post_json)

    waited, _ = _file_an_incident_while(
        sending, lambda: services.webhook_deliver(delivery_pk=delivery.pk), lead
    )

    assert waited < UNRELATED_WRITE_SECONDS, f"filing waited {waited:.2f} s for the webhook"
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == WebhookStatus.SENT
