"""One e-mail as an alert: parsed with mail-parser, never rendered.

The subject is the title and the Message-ID the source reference (a re-delivery, or a
mail loop sending the same message a thousand times, is one alert). The body is kept as
text: the plain part, or the HTML part with its tags dropped (never rendered), and
every link in it defanged (hxxp, [.]). The sender's address and domain are observables;
a forwarded message (a `message/rfc822` part, an attached .eml) is unpacked and its
sender's domain, its links and its attachments' SHA-256 are *proposed* as observables
(a person decides). Each attachment is kept with the SHA-256 taken as its bytes are
decoded (its receipt); one over the size limit is refused and the alert says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.utils import parseaddr

import mailparser

from core.text import strip_invisible
from intake.models import SOURCE_REF_MAX_LENGTH, TITLE_MAX_LENGTH

SOURCE = "email"
URL_PATTERN = re.compile(r"""\b(?:https?|hxxps?|ftp)://[^\s<>"'()\[\]{}]+""", re.IGNORECASE)
TAG_PATTERN = re.compile(r"<[^>]*>")
MAX_URLS = 50
DESCRIPTION_MAX = 20_000
FORWARDED_TYPES = ("message/rfc822",)
FORWARDED_SUFFIXES = (".eml",)


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes
    receipt_sha256: str


@dataclass
class ParsedMail:
    message_id: str
    title: str
    description: str
    sender: str
    observables: list[tuple[str, str]] = field(default_factory=list)
    proposed: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def defang(text: str) -> str:
    """Links made unclickable: hxxp(s)://, and the dots of their host as [.]."""

    def one(match: re.Match) -> str:
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        scheme = re.sub("^http", "hxxp", scheme, flags=re.IGNORECASE)
        return f"{scheme}://{host.replace('.', '[.]')}{slash}{path}"

    return URL_PATTERN.sub(one, text)


def _plain(parsed) -> str:
    if parsed.text_plain:
        return "\n".join(parsed.text_plain)
    if parsed.text_html:
        # Tags dropped, entities decoded: what the HTML says, never what it would show.
        return html.unescape(TAG_PATTERN.sub(" ", "\n".join(parsed.text_html)))
    return ""


def _urls(text: str) -> list[str]:
    found = []
    for url in URL_PATTERN.findall(text):
        url = url.rstrip(".,;:!?")
        if url not in found:
            found.append(url)
    return found[:MAX_URLS]


def _one_line(text: str, limit: int) -> str:
    return " ".join(strip_invisible(text or "").split())[:limit]


def clean_text(text: str) -> str:
    """Text from outside as Cordon keeps it: lines and tabs kept, every control or
    invisible character dropped (a mail is never refused for what an attacker put in)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(
        "\t".join(strip_invisible(cell) for cell in line.split("\t")) for line in lines
    )


def _address(parsed) -> str:
    for _, address in parsed.from_ or []:
        if address:
            return address.strip()
    return parseaddr(str(parsed.headers.get("From", "")))[1]


def _decode(part: dict) -> bytes:
    payload = part.get("payload") or ""
    if part.get("binary"):
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            return payload.encode("utf-8", "replace")
    return payload.encode(part.get("charset") or "utf-8", "replace")


def receipt(content: bytes) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(content), 1024 * 1024):
        digest.update(content[start : start + 1024 * 1024])
    return digest.hexdigest()


def _is_forwarded(part: dict) -> bool:
    kind = (part.get("mail_content_type") or "").lower()
    name = (part.get("filename") or "").lower()
    return kind in FORWARDED_TYPES or name.endswith(FORWARDED_SUFFIXES)


def _domain(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else ""


def _unpack_forwarded(content: bytes, mail: ParsedMail) -> None:
    """What a forwarded message offers: its sender's domain and address, its links, and
    the SHA-256 of its own attachments, all proposed."""
    try:
        inner = mailparser.parse_from_bytes(content)
    except Exception as error:
        mail.notes.append(f"A forwarded message could not be read: {type(error).__name__}.")
        return
    sender = _address(inner)
    if sender:
        mail.proposed.append(("email", sender))
        if _domain(sender):
            mail.proposed.append(("domain", _domain(sender)))
    text = _plain(inner) + "\n" + "\n".join(inner.text_html or [])
    mail.proposed += [("url", url) for url in _urls(text)]
    for part in inner.attachments or []:
        if not _is_forwarded(part):
            mail.proposed.append(("sha256", receipt(_decode(part))))


def parse_mail(raw: bytes, *, max_attachment_bytes: int) -> ParsedMail:
    """The alert's facts from one message's bytes (see the module)."""
    parsed = mailparser.parse_from_bytes(raw)
    sender = _address(parsed)
    message_id = _one_line(parsed.message_id or "", SOURCE_REF_MAX_LENGTH)
    if not message_id:
        # Without a Message-ID, the message's own hash: the same bytes are one alert.
        message_id = f"sha256:{receipt(raw)}"
    body = _plain(parsed)
    mail = ParsedMail(
        message_id=message_id,
        title=_one_line(parsed.subject or "", TITLE_MAX_LENGTH) or "(no subject)",
        description=clean_text(defang(body))[:DESCRIPTION_MAX],
        sender=sender,
    )
    if sender:
        mail.observables.append(("email", sender))
        if _domain(sender):
            mail.observables.append(("domain", _domain(sender)))
    mail.proposed += [("url", url) for url in _urls(body)]
    for part in parsed.attachments or []:
        name = _one_line(part.get("filename") or "attachment", 255)
        content = _decode(part)
        if _is_forwarded(part):
            _unpack_forwarded(content, mail)
        if len(content) > max_attachment_bytes:
            mail.notes.append(
                f"Attachment “{name}” ({len(content)} bytes) refused: over the limit of "
                f"{max_attachment_bytes} bytes."
            )
            continue
        mail.attachments.append(
            Attachment(
                name=name,
                content_type=_one_line(part.get("mail_content_type") or "", 255),
                content=content,
                receipt_sha256=receipt(content),
            )
        )
    if parsed.has_defects:
        kinds = ", ".join(sorted(map(str, parsed.defects_categories)))
        mail.notes.append(f"The message is malformed ({kinds}); what could be read is kept.")
    return mail
