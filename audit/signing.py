"""The log's signing key and its signed notes (C2SP signed-note, Ed25519).

A checkpoint is the note text "<origin>\\n<tree size>\\n<base64 root>\\n", then a blank
line and the signature line "— <key name> <base64(key id || signature)>", where the
key id is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key).
Anyone with the public key (served at /api/v1/audit/key/, as PEM and in the note
verifier-key format "<name>+<hex key id>+<base64(0x01 || public key)>") can check it,
with Cordon's CLI, with a signed-note library, or with openssl (README).

The private key comes from AUDIT_SIGNING_KEY (PEM, or the 32-byte seed in base64) or
AUDIT_SIGNING_KEY_FILE (a PEM file); on the embedded default it is generated into var/
on first use. Production settings refuse to start without one.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ED25519 = b"\x01"  # the signed-note signature type
SIGNATURE_PREFIX = "\u2014 "  # em dash, space


@dataclass(frozen=True)
class LogKey:
    name: str
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey

    @property
    def public_bytes(self) -> bytes:
        return self.public.public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_bytes)

    @property
    def verifier_key(self) -> str:
        encoded = base64.b64encode(ED25519 + self.public_bytes).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @property
    def public_pem(self) -> str:
        return self.public.public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        ).decode()


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def origin() -> str:
    """The log's name: the checkpoint's first line and the key's name. AUDIT_LOG_ORIGIN,
    or the site's host followed by /audit."""
    configured = settings.AUDIT_LOG_ORIGIN
    if configured:
        return configured
    return f"{urlsplit(settings.SITE_URL).netloc or 'cordon'}/audit"


def _generated_key_file() -> Path:
    return Path(settings.BASE_DIR) / "var" / "audit_signing_key.pem"


def _load_pem() -> bytes:
    if settings.AUDIT_SIGNING_KEY:
        return settings.AUDIT_SIGNING_KEY.encode()
    path = Path(settings.AUDIT_SIGNING_KEY_FILE or _generated_key_file())
    if not path.exists():
        if settings.AUDIT_SIGNING_KEY_FILE or settings.IS_PRODUCTION:
            raise ImproperlyConfigured(f"the audit signing key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        # Written aside, then linked into place: another process starting at the same
        # moment finds either no key or the whole of one, never half a file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pem = path.read_bytes()  # another process made it first
        finally:
            temporary.unlink()
        return pem
    return path.read_bytes()


def _private_key(material: bytes):
    """PEM (PKCS#8), or the 32-byte Ed25519 seed in base64 (one line, for environments)."""
    if b"-----BEGIN" in material:
        return serialization.load_pem_private_key(material, password=None)
    try:
        seed = base64.b64decode(material.strip(), validate=True)
    except ValueError as error:
        raise ImproperlyConfigured("the audit signing key is neither PEM nor base64") from error
    if len(seed) != 32:
        raise ImproperlyConfigured("a base64 audit signing key must hold 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=1)
def log_key() -> LogKey:
    private = _private_key(_load_pem())
    if not isinstance(private, Ed25519PrivateKey):
        raise ImproperlyConfigured("the audit signing key must be an Ed25519 private key")
    return LogKey(name=origin(), private=private, public=private.public_key())


def checkpoint_text(tree_size: int, root: bytes) -> str:
    return f"{origin()}\n{tree_size}\n{base64.b64encode(root).decode()}\n"


def sign_note(text: str, key: LogKey | None = None) -> str:
    key = key or log_key()
    assert key.private is not None
    signature = key.private.sign(text.encode())
    encoded = base64.b64encode(key.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{key.name} {encoded}\n"


class NoteError(ValueError):
    """The note is malformed, or not signed by the key."""


def open_note(note: str, key: LogKey | None = None) -> str:
    """The text of `note` when it carries a valid signature of `key`; NoteError otherwise."""
    key = key or log_key()
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise NoteError("not a signed note: no blank line before the signatures")
    text += "\n"
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line must start with an em dash and a space")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise NoteError("a signature is not base64") from error
        if name != key.name or blob[:4] != key.key_id:
            continue
        try:
            key.public.verify(blob[4:], text.encode())
        except InvalidSignature as error:
            raise NoteError("the signature does not match the note") from error
        return text
    raise NoteError(f"no signature by {key.name} ({key.key_id.hex()})")
