"""E-mail through a real SMTP server (aiosmtpd on loopback), sent by a real Celery worker."""

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from accounts.roles import Role
from notifications.models import DeliveryStatus, Notification
from notifications.services import notification_queue
from tests.conftest import wait_for
from tests.notifications.receiver import free_port


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "content": envelope.content.decode("utf-8", "replace"),
            }
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


@pytest.fixture
def celery_worker_env(smtp_server):
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"}


@pytest.mark.django_db
def test_the_smtp_backend_delivers_to_a_real_smtp_server(smtp_server, settings, make_member):
    from notifications.services import notification_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    person = make_member(Role.LEAD, email="smtp-lead@example.org")
    (notification,) = notification_queue(recipients=[person], subject="Direct", body="Hi")

    notification_deliver(notification_id=notification.pk)

    (message,) = smtp_server.inbox.messages
    assert message["to"] == ["smtp-lead@example.org"]
    assert "Subject: Direct" in message["content"]


@pytest.mark.django_db
def test_the_html_part_reaches_a_real_smtp_server_as_an_alternative(
    smtp_server, settings, make_member
):
    from notifications.services import notification_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    person = make_member(Role.LEAD, email="smtp-lead@example.org")
    (notification,) = notification_queue(
        recipients=[person], subject="Both", body="Plain words.", html_body="<p>Marked up</p>"
    )

    notification_deliver(notification_id=notification.pk)

    (message,) = smtp_server.inbox.messages
    content = message["content"]
    assert "Content-Type: multipart/alternative" in content
    assert "Content-Type: text/plain" in content and "Plain words." in content
    assert "Content-Type: text/html" in content and "<p>Marked up</p>" in content


@pytest.mark.worker
def test_an_outbox_row_becomes_an_email_in_a_real_smtp_server(
    celery_worker, smtp_server, make_member
):
    person = make_member(Role.LEAD, username="smtp-lead", email="smtp-lead@example.org")
    with transaction.atomic():
        (notification,) = notification_queue(
            recipients=[person], subject="[Cordon] Test alert", body="Through SMTP."
        )

    message = wait_for(lambda: smtp_server.inbox.messages and smtp_server.inbox.messages[0])
    assert message["to"] == ["smtp-lead@example.org"]
    assert "Subject: [Cordon] Test alert" in message["content"]
    assert "Through SMTP." in message["content"]
    wait_for(
        lambda: Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.SENT).exists()
    )
    assert len(smtp_server.inbox.messages) == 1
