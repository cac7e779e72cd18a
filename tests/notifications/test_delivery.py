"""Notifications: queued in the outbox, delivered by a real Celery worker, never twice."""

import pytest
from django.core import mail

from accounts.roles import Role
from notifications.models import DeliveryStatus, Notification
from notifications.services import notification_deliver, notification_queue
from tests.conftest import wait_for


@pytest.mark.django_db
def test_delivering_twice_sends_one_message(make_member, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lead = make_member(Role.LEAD, email="lead@example.org")
    (notification,) = notification_queue(recipients=[lead], subject="Hello", body="Body")

    notification_deliver(notification_id=notification.pk)
    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT
    assert notification.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lead@example.org"]


@pytest.mark.django_db
def test_recipient_without_address_fails_without_retry(make_member):
    person = make_member(Role.LEAD, email="")
    (notification,) = notification_queue(recipients=[person], subject="Hello", body="Body")

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.FAILED
    assert "no e-mail address" in notification.last_error


@pytest.mark.django_db
def test_delivering_a_vanished_notification_is_harmless():
    assert notification_deliver(notification_id=987654321) is None


@pytest.mark.worker
def test_filing_an_incident_mails_the_leads_through_a_real_worker(
    celery_worker, make_member, token_client
):
    lead = make_member(Role.LEAD, username="duty-lead", email="duty-lead@example.org")
    responder = make_member(Role.RESPONDER, username="first-responder")
    client = token_client(responder, "incidents:write")

    response = client.post("/api/v1/incidents/", {"title": "Ransom note", "severity": "critical"})
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]

    notification = wait_for(
        lambda: Notification.objects.filter(recipient=lead, status=DeliveryStatus.SENT).first()
    )
    assert reference in notification.subject
    messages = wait_for(lambda: list(celery_worker.mail_dir.iterdir()))
    text = messages[0].read_text()
    assert "duty-lead@example.org" in text
    assert reference in text
    assert not Notification.objects.filter(recipient=responder).exists()


@pytest.mark.django_db
def test_a_sensitive_body_is_erased_once_sent_and_never_audited_in_clear(make_member, settings):
    from audit.models import AuditEvent

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = make_member(Role.RESPONDER, email="new@example.org")
    secret_link = "https://cordon.example/accounts/invitation/s3cr3t-one-time-token/"
    (notification,) = notification_queue(
        recipients=[person], subject="Invitation", body=f"Open {secret_link}", sensitive=True
    )

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert secret_link in mail.outbox[0].body
    assert secret_link not in notification.body
    assert notification.status == DeliveryStatus.SENT
    for event in AuditEvent.objects.all():
        assert "s3cr3t-one-time-token" not in str(event.data)


@pytest.mark.django_db
def test_a_message_goes_out_as_text_with_an_html_alternative(make_member, settings):
    from notifications.messages import Message

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = make_member(Role.LEAD, email="lead@example.org")
    message = Message("[Cordon] Hello", "Hello in text.\n", "<!DOCTYPE html><p>Hello</p>\n")
    (notification,) = notification_queue(recipients=[person], message=message)

    notification_deliver(notification_id=notification.pk)

    (sent,) = mail.outbox
    assert (sent.subject, sent.body) == ("[Cordon] Hello", "Hello in text.\n")
    assert sent.alternatives == [(message.html, "text/html")]
    assert "multipart/alternative" in sent.message().get_content_type()


@pytest.mark.django_db
def test_a_sensitive_message_loses_both_parts_once_sent(make_member, settings):
    from audit.models import AuditEvent
    from notifications.messages import Message

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = make_member(Role.RESPONDER, email="new@example.org")
    secret = "https://cordon.example/accounts/invitation/h7ml-one-time-token/"
    message = Message("Invitation", f"Open {secret}\n", f'<a href="{secret}">Open</a>\n')
    (notification,) = notification_queue(recipients=[person], message=message, sensitive=True)

    notification_deliver(notification_id=notification.pk)

    assert secret in mail.outbox[0].body and secret in mail.outbox[0].alternatives[0][0]
    notification.refresh_from_db()
    assert secret not in notification.body and secret not in notification.html_body
    for event in AuditEvent.objects.all():
        assert "h7ml-one-time-token" not in str(event.data)
