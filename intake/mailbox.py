"""The mailbox: beat polls an IMAP folder (INTAKE_IMAP_URL) and each message becomes an
alert (intake.mail), one transaction per message, so one bad message never holds up
the others. A message is marked processed (INTAKE_IMAP_PROCESSED: `seen`, `delete` or
`move` to INTAKE_IMAP_PROCESSED_FOLDER) only after its alert is committed: a crash in
between means it is read again next time, and its Message-ID makes that a duplicate,
not a second alert. Nothing is lost.

A message larger than INTAKE_MAIL_MAX_BYTES is never downloaded: its headers become the
alert, with a note. A server that is down or answers garbage raises MailboxUnavailable
after an audit event (`intake.mailbox_unavailable`); the task retries with backoff.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError

import audit
from intake.adapters import valid_observables
from intake.mail import SOURCE, ParsedMail, parse_mail, receipt
from intake.services import AlertInput, alerts_receive

logger = logging.getLogger(__name__)

PROCESSED_ACTIONS = ("seen", "delete", "move")
TIMEOUT_SECONDS = 30
FAILURES = (OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.error, ImapToolsError, EOFError)


class MailboxUnavailable(Exception):
    """The IMAP server could not be reached, refused the login or answered nonsense."""


@dataclass
class PollResult:
    fetched: int = 0
    created: int = 0
    repeated: int = 0
    refused: int = 0  # messages the alert rules refused (audited, then treated as read)


def _connect(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise MailboxUnavailable("INTAKE_IMAP_URL must be imap://user:password@host[:port]")
    secure = parts.scheme == "imaps"
    box_class = MailBox if secure else MailBoxUnencrypted
    box = box_class(
        parts.hostname, port=parts.port or (993 if secure else 143), timeout=TIMEOUT_SECONDS
    )
    return box.login(unquote(parts.username or ""), unquote(parts.password or ""))


def _sender():
    name = settings.INTAKE_IMAP_ACCOUNT
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise MailboxUnavailable(
            f"INTAKE_IMAP_ACCOUNT “{name}” is not an active member (create it with "
            "create_member … --role reporter)."
        )
    return user


def _alert_input(mail: ParsedMail, raw: bytes) -> AlertInput:
    return AlertInput(
        source=SOURCE,
        source_ref=mail.message_id,
        title=mail.title,
        description=mail.description,
        type="email",
        observables=valid_observables(mail.observables),
        proposed=valid_observables(mail.proposed),
        # PostgreSQL's text holds no NUL: kept visible, as the audit log does.
        raw=raw.decode("utf-8", "replace").replace("\x00", "\\x00"),
        attachments=mail.attachments,
        notes="\n".join(mail.notes),
    )


def _headers_only(message, size: int) -> tuple[AlertInput, bytes]:
    raw = b"".join(
        f"{name}: {value}\r\n".encode("utf-8", "replace")
        for name, values in message.headers.items()
        for value in values
    )
    mail = parse_mail(raw + b"\r\n", max_attachment_bytes=0)
    mail.notes.append(
        f"The message is {size} bytes, over INTAKE_MAIL_MAX_BYTES "
        f"({settings.INTAKE_MAIL_MAX_BYTES}): only its headers were read."
    )
    return _alert_input(mail, raw), raw


def _fetch_raw(box, uid: str) -> bytes:
    status, data = box.client.uid("fetch", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxUnavailable(f"FETCH {uid} answered {status}")
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    raise MailboxUnavailable(f"FETCH {uid} answered no message body")


def _processed(box, uid: str) -> None:
    action = settings.INTAKE_IMAP_PROCESSED
    if action == "delete":
        box.delete(uid)
    elif action == "move":
        folder = settings.INTAKE_IMAP_PROCESSED_FOLDER
        if not box.folder.exists(folder):
            box.folder.create(folder)
        box.move(uid, folder)
    else:
        box.flag(uid, MailMessageFlags.SEEN, True)


def _receive_one(box, message, sender, result: PollResult) -> None:
    size = message.size_rfc822
    if size > settings.INTAKE_MAIL_MAX_BYTES:
        item, _ = _headers_only(message, size)
    else:
        raw = _fetch_raw(box, message.uid)
        try:
            mail = parse_mail(raw, max_attachment_bytes=settings.INTAKE_ATTACHMENT_MAX_BYTES)
        except Exception as error:
            logger.warning("Message %s could not be parsed: %s", message.uid, error)
            mail = ParsedMail(
                message_id="",
                title="(a message that could not be parsed)",
                description="",
                sender="",
                notes=[f"The message could not be parsed ({type(error).__name__})."],
            )
            mail.message_id = f"sha256:{receipt(raw)}"
        item = _alert_input(mail, raw)
    try:
        (received,) = alerts_receive(sender=sender, items=[item], via="mailbox")
    except ValidationError as error:
        # A message the alert rules refuse must not stop every message after it: it is
        # recorded (with why) and treated as read; the mailbox keeps its copy.
        logger.warning("Message %s refused: %s", message.uid, error.messages)
        audit.record(
            "intake.mail_refused",
            outcome="failure",
            data={"uid": str(message.uid), "errors": error.messages[:10]},
        )
        result.refused += 1
    else:
        result.created += received.created
        result.repeated += not received.created
    _processed(box, message.uid)


def mailbox_poll() -> PollResult:
    """Read the folder's waiting messages (at most INTAKE_IMAP_BATCH) into alerts."""
    result = PollResult()
    url = settings.INTAKE_IMAP_URL
    if not url:
        return result
    try:
        sender = _sender()
        with _connect(url) as box:
            box.folder.set(settings.INTAKE_IMAP_FOLDER)
            criteria = (
                AND(seen=False) if settings.INTAKE_IMAP_PROCESSED == "seen" else AND(all=True)
            )
            waiting = list(
                box.fetch(
                    criteria,
                    headers_only=True,
                    mark_seen=False,
                    limit=settings.INTAKE_IMAP_BATCH,
                    bulk=True,
                )
            )
            for message in waiting:
                result.fetched += 1
                _receive_one(box, message, sender, result)
            if settings.INTAKE_IMAP_PROCESSED in ("delete", "move"):
                box.expunge()
    except (MailboxUnavailable, *FAILURES) as error:
        _record_unavailable(url, error)
        raise MailboxUnavailable(str(error) or type(error).__name__) from error
    return result


def _record_unavailable(url: str, error: Exception) -> None:
    parts = urlsplit(url)
    audit.record(
        "intake.mailbox_unavailable",
        data={
            "server": f"{parts.hostname}:{parts.port or ''}",
            "folder": settings.INTAKE_IMAP_FOLDER,
            "error": f"{type(error).__name__}: {error}"[:500],
        },
        outcome="failure",
    )
