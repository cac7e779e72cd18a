"""The mailbox against a real IMAP server (Dovecot, tests/intake/conftest.py): each
message an alert, re-delivery and mail loops collapse, forwarded phishing unpacked,
HTML never rendered, attachments with their receipt, oversized ones refused with a
note, a server down or answering garbage retried and audited, nothing lost."""

import hashlib
import socket
import threading
from email.message import EmailMessage

import pytest

from audit.models import AuditEvent
from incidents.models import Incident
from intake.mailbox import MailboxUnavailable, mailbox_poll
from intake.models import Alert
from intake.services import alerts_escalate
from intake.tasks import intake_poll_mailbox
from tests.intake.conftest import message

pytestmark = pytest.mark.django_db


def test_each_message_becomes_an_alert_and_is_marked_seen(mailbox):
    mailbox.append(message())
    mailbox.append(message(subject="Second", message_id="<m2@corp.example>"))
    result = mailbox_poll()
    assert (result.fetched, result.created) == (2, 2)
    alert = Alert.objects.get(source_ref="<m1@corp.example>")
    assert (alert.source, alert.title, alert.type) == ("email", "Suspicious login", "email")
    assert alert.sender.username == "intake-mailbox"
    observables = set(alert.observables.values_list("type", "normalized_value", "proposed"))
    assert ("email", "alice@corp.example", False) in observables
    assert ("domain", "corp.example", False) in observables
    assert ("url", "http://evil.example/login", True) in observables
    assert "hxxp://evil[.]example/login" in alert.description
    assert "http://evil.example" not in alert.description
    assert mailbox.uids("UNSEEN") == []
    # Polling again finds nothing new.
    assert mailbox_poll().fetched == 0


def test_a_mail_loop_is_one_alert_with_its_count(mailbox):
    mailbox.append(message(message_id="<loop@corp.example>"), times=60)
    result = mailbox_poll()
    assert (result.fetched, result.created, result.repeated) == (60, 1, 59)
    assert Alert.objects.get().count == 60


def test_a_forwarded_phish_is_unpacked_and_html_never_rendered(mailbox):
    phish = EmailMessage()
    phish["From"] = "Bank <security@phish.example>"
    phish["Subject"] = "Verify your account"
    phish.set_content("Log in at http://login.phish.example/verify")
    phish.add_alternative(
        "<a href='http://login.phish.example/verify'>verify</a><script>x()</script>",
        subtype="html",
    )
    phish.add_attachment(
        b"MZ dropper", maintype="application", subtype="octet-stream", filename="invoice.exe"
    )
    mailbox.append(message(subject="Fwd: phishing?", body="Is this real?", forwarded=phish))
    mailbox_poll()
    alert = Alert.objects.get()
    proposed = set(alert.observables.filter(proposed=True).values_list("type", "normalized_value"))
    assert ("domain", "phish.example") in proposed
    assert ("url", "http://login.phish.example/verify") in proposed
    assert ("sha256", hashlib.sha256(b"MZ dropper").hexdigest()) in proposed
    assert "<script>" not in alert.description


def test_an_html_only_message_is_kept_as_text(mailbox):
    mail = EmailMessage()
    mail["From"] = "x@corp.example"
    mail["Subject"] = "HTML"
    mail["Message-ID"] = "<html@corp.example>"
    mail.set_content(
        "<p>Visit <a href='http://bad.example/'>here</a></p><img src=x onerror=y>", subtype="html"
    )
    mailbox.append(mail.as_bytes())
    mailbox_poll()
    alert = Alert.objects.get()
    assert "<" not in alert.description
    assert "Visit" in alert.description


def test_attachments_are_kept_with_their_receipt_and_become_evidence(
    mailbox, lead, settings, tmp_path
):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    content = b"%PDF-1.4 malicious"
    mailbox.append(message(attachments=[("scan.pdf", content)]))
    mailbox_poll()
    alert = Alert.objects.get()
    attachment = alert.attachments.get()
    assert attachment.receipt_sha256 == hashlib.sha256(content).hexdigest()
    assert (attachment.name, attachment.size) == ("scan.pdf", len(content))
    incident = alerts_escalate(alerts=[alert], actor=lead)
    item = incident.evidence.get()
    assert item.receipt_sha256 == attachment.receipt_sha256
    assert item.source_host == "mailbox"
    received = item.custody.get(action="received")
    assert received.sha256 == attachment.receipt_sha256
    assert f"alert #{alert.pk}" in item.description


def test_an_oversized_attachment_is_refused_and_the_alert_kept_with_a_note(mailbox, settings):
    settings.INTAKE_ATTACHMENT_MAX_BYTES = 100
    mailbox.append(message(attachments=[("big.bin", b"x" * 500), ("small.txt", b"ok")]))
    mailbox_poll()
    alert = Alert.objects.get()
    assert [a.name for a in alert.attachments.all()] == ["small.txt"]
    assert "big.bin" in alert.notes and "refused" in alert.notes


def test_an_oversized_message_is_not_downloaded_but_recorded(mailbox, settings):
    settings.INTAKE_MAIL_MAX_BYTES = 2000
    mailbox.append(message(attachments=[("dump.bin", b"y" * 5000)]))
    mailbox_poll()
    alert = Alert.objects.get()
    assert alert.title == "Suspicious login"
    assert "only its headers were read" in alert.notes
    assert not alert.attachments.exists()


def test_malformed_mime_is_kept(mailbox):
    mailbox.append(
        b"From: broken@corp.example\r\nSubject: broken\r\nMessage-ID: <b@corp.example>\r\n"
        b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\n--nope\r\nContent-Type: '
        b"text/plain\r\n\r\nunterminated body with no closing boundary\r\n"
    )
    mailbox_poll()
    alert = Alert.objects.get()
    assert alert.source_ref == "<b@corp.example>"
    assert "unterminated body" in alert.description


def test_moved_or_deleted_when_configured(mailbox, settings):
    settings.INTAKE_IMAP_PROCESSED = "move"
    settings.INTAKE_IMAP_PROCESSED_FOLDER = f"{mailbox.folder}-done"
    mailbox.append(message())
    mailbox_poll()
    assert mailbox.uids() == []
    assert Alert.objects.count() == 1


def _garbage_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)

    def serve():
        for _ in range(3):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.sendall(b"HELLO this is not IMAP\r\n* garbage\r\n")
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


@pytest.mark.parametrize("kind", ["down", "garbage"])
def test_a_server_down_or_answering_garbage_is_audited_and_retried(settings, make_member, kind):
    make_member("reporter", username=settings.INTAKE_IMAP_ACCOUNT)
    listener = _garbage_server()
    port = listener.getsockname()[1]
    if kind == "down":
        listener.close()
    settings.INTAKE_IMAP_URL = f"imap://cordon:x@127.0.0.1:{port}"
    try:
        with pytest.raises(MailboxUnavailable):
            mailbox_poll()
    finally:
        listener.close()
    event = AuditEvent.objects.get(action="intake.mailbox_unavailable")
    assert event.outcome == "failure"
    assert not Alert.objects.exists()
    # The beat task retries it with backoff.
    assert MailboxUnavailable in intake_poll_mailbox.autoretry_for
    assert intake_poll_mailbox.retry_backoff and intake_poll_mailbox.max_retries >= 3


def test_without_a_mailbox_url_nothing_is_polled(settings):
    settings.INTAKE_IMAP_URL = ""
    assert mailbox_poll().fetched == 0
    assert Incident.objects.count() == 0


def test_a_nul_byte_in_a_message_neither_fails_nor_blocks_the_ones_after_it(mailbox):
    mailbox.append(
        b"From: nul@corp.example\r\nSubject: has\x00nul\r\nMessage-ID: <nul@corp.example>\r\n"
        b"Content-Type: text/plain\r\n\r\nbody with a \x00 byte\r\n"
    )
    mailbox.append(message(subject="After it", message_id="<after@corp.example>"))
    result = mailbox_poll()
    assert (result.fetched, result.created + result.refused) == (2, 2)
    assert Alert.objects.filter(source_ref="<after@corp.example>").exists()
    assert mailbox_poll().fetched == 0  # both were dealt with


def test_a_nul_byte_reaching_the_alert_is_kept_visible_not_refused_by_the_database(
    make_member,
):
    # Dovecot drops NUL bytes on delivery; other servers hand them over as they are.
    from accounts.roles import Role
    from intake.mail import parse_mail
    from intake.mailbox import _alert_input
    from intake.services import alerts_receive

    raw = (
        b"From: nul@corp.example\r\nSubject: nul\r\nMessage-ID: <nul2@corp.example>\r\n"
        b"Content-Type: text/plain\r\n\r\nbody with a \x00 byte\r\n"
    )
    item = _alert_input(parse_mail(raw, max_attachment_bytes=1024), raw)
    sender = make_member(Role.REPORTER, username="mailbox-bot")
    (received,) = alerts_receive(sender=sender, items=[item], via="mailbox")
    assert "\\x00" in Alert.objects.get(pk=received.alert.pk).raw_payload
