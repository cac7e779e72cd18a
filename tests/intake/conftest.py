"""Helpers for the intake tests: sending alerts through the service, a real IMAP
server (Dovecot) with a folder per test, messages as mail clients write them."""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from imap_tools import MailBoxUnencrypted

from intake.services import AlertInput, alerts_receive


def send(sender, **fields):
    """One alert through the service; returns the alert."""
    fields.setdefault("source", "siem")
    fields.setdefault("title", "Brute force on vpn-1")
    observables = fields.pop("observables", ())
    (received,) = alerts_receive(
        sender=sender, items=[AlertInput(**fields, observables=list(observables))]
    )
    return received.alert


@pytest.fixture
def send_alert():
    return send


# --- A real IMAP server (Dovecot) -----------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def imap_server():
    """The IMAP URL of a running Dovecot: INTAKE_TEST_IMAP_URL (.ci/run starts one), or
    one started here for this test process in a throwaway directory. Without Dovecot the
    tests skip, except in CI, where they fail."""
    url = os.environ.get("INTAKE_TEST_IMAP_URL")
    if url:
        yield url
        return
    if shutil.which("dovecot") is None:
        message = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    directory = tempfile.mkdtemp(prefix="cordon-imap-")
    script = str(REPO / "bin" / "imap_test_server.sh")
    url = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [script, "start", directory, str(_free_port())],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    yield url
    subprocess.run([script, "stop", directory], check=False)  # noqa: S603
    shutil.rmtree(directory, ignore_errors=True)


@dataclass
class TestMailbox:
    url: str
    folder: str

    def _box(self):
        parts = urlsplit(self.url)
        return MailBoxUnencrypted(parts.hostname, port=parts.port).login(
            parts.username, parts.password
        )

    def append(self, message: bytes, *, times: int = 1) -> None:
        with self._box() as box:
            for _ in range(times):
                box.append(message, self.folder)

    def uids(self, criteria="ALL") -> list[str]:
        with self._box() as box:
            box.folder.set(self.folder)
            return list(box.uids(criteria))


@pytest.fixture
def mailbox(imap_server, settings, make_member):
    """A folder of its own on the IMAP server, which the settings point intake at."""
    folder = f"test-{uuid.uuid4().hex[:12]}"
    test_box = TestMailbox(imap_server, folder)
    with test_box._box() as box:
        box.folder.create(folder)
    settings.INTAKE_IMAP_URL = imap_server
    settings.INTAKE_IMAP_FOLDER = folder
    settings.INTAKE_IMAP_PROCESSED = "seen"
    make_member("reporter", username=settings.INTAKE_IMAP_ACCOUNT)
    yield test_box
    with test_box._box() as box:
        box.folder.delete(folder)


def message(
    *,
    subject="Suspicious login",
    sender="Alice <alice@corp.example>",
    message_id="<m1@corp.example>",
    body="See http://evil.example/login please.",
    html=None,
    attachments=(),
    forwarded=None,
) -> bytes:
    """A message as a mail client writes it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "abuse@cordon.example"
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    mail.set_content(body)
    if html:
        mail.add_alternative(html, subtype="html")
    for name, content in attachments:
        mail.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    if forwarded is not None:
        mail.add_attachment(forwarded)
    return mail.as_bytes()
