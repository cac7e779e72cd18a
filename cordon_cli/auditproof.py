"""`cordon audit verify FILE`: check an audit proof bundle offline.

The bundle (written by `manage.py export_audit_proof`, or from /audit/) holds audit
events, each with an RFC 9162 inclusion proof against one signed checkpoint (a C2SP
tlog-checkpoint note), and the log's public key. This checks, with the standard library
alone (and `cryptography`, when installed, for the Ed25519 signature):

1. the zip is exactly as Cordon writes it (rebuilt from its members, byte for byte), so
   a changed byte anywhere, in a member or a header, is caught;
2. the checkpoint is signed by the key (the bundle's, or --key: the log's published
   verifier key or PEM, which is what makes the check mean something);
3. every event's leaf hash, from its content, with its proof, gives the checkpoint's root.

Exit 0 when all hold, 1 naming the first event (or part) that does not.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

from cordon_cli.errors import EXIT_MISMATCH, EXIT_OK, UsageError

FORMAT = "cordon-audit-proof/1"
MEMBERS = ("manifest.json", "checkpoint.txt", "public_key.pem", "verifier_key.txt")
SIGNATURE_PREFIX = "\u2014 "
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
_DOS_DATE_1980_01_01 = 0x21


class BundleError(Exception):
    """The bundle does not hold: the message says where."""


def stored_zip(members: list[tuple[str, bytes]]) -> bytes:
    """The same writer as audit/bundle.py: uncompressed, nothing that varies."""
    body, central = bytearray(), bytearray()
    for name, data in members:
        encoded, crc, offset = name.encode(), zlib.crc32(data), len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, _DOS_DATE_1980_01_01, crc, len(data),
            len(data), len(encoded), 0,
        )  # fmt: skip
        body += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, _DOS_DATE_1980_01_01, crc,
            len(data), len(data), len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0
    )
    return bytes(body + central + end)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return None
    fn, sn, root = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            root = _node(sibling, root)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            root = _node(root, sibling)
        fn >>= 1
        sn >>= 1
    return root if sn == 0 else None


def _members(raw: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            if tuple(names) != MEMBERS:
                raise BundleError(f"not a Cordon proof bundle: it holds {names}")
            members = {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as error:
        raise BundleError(f"the bundle is damaged or truncated: {error}") from error
    if stored_zip([(name, members[name]) for name in MEMBERS]) != raw:
        raise BundleError(
            "the bundle is not byte for byte as Cordon wrote it: something in it was changed"
        )
    return members


def _public_key(text: str) -> tuple[str, bytes]:
    """(key name or "", raw Ed25519 public key) from a verifier key or a PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN PUBLIC KEY-----"):
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        der = base64.b64decode(body)
        # An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte prefix and the key.
        if len(der) != 44 or der[:12] != bytes.fromhex("302a300506032b6570032100"):
            raise BundleError("the public key is not an Ed25519 key")
        return "", der[12:]
    name, key_id, encoded = [*text.split("+", 2), "", ""][:3]
    try:
        blob = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise BundleError("the verifier key is not <name>+<id>+<base64>") from error
    if len(blob) != 33 or blob[:1] != b"\x01":
        raise BundleError("the verifier key is not an Ed25519 key")
    if _key_id(name, blob[1:]).hex() != key_id:
        raise BundleError("the verifier key's id does not match its key")
    return name, blob[1:]


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


def _open_note(note: str, name: str, public: bytes, say) -> str:
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise BundleError("checkpoint.txt is not a signed note")
    text += "\n"
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise BundleError("checkpoint.txt has a malformed signature line")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise BundleError("checkpoint.txt has a signature that is not base64") from error
        if signer != name or blob[:4] != _key_id(name, public):
            continue
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            say(
                "signature NOT checked: the Python package cryptography is not installed "
                "(pip install cryptography, or check it with openssl as the README shows)"
            )
            return text
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
        except InvalidSignature as error:
            raise BundleError("the checkpoint's signature does not hold") from error
        say(f"checkpoint signature: valid ({name}, key {_key_id(name, public).hex()})")
        return text
    raise BundleError(f"the checkpoint is not signed by {name} ({_key_id(name, public).hex()})")


def verify_bundle(path: Path, *, key_text: str | None, say) -> int:
    raw = path.read_bytes()
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError("the bundle is larger than any Cordon writes")
    members = _members(raw)
    try:
        manifest = json.loads(members["manifest.json"])
        note = members["checkpoint.txt"].decode()
        bundled_key = members["verifier_key.txt"].decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleError(f"the bundle's manifest or checkpoint is unreadable: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"not a {FORMAT} bundle")
    name, public = _public_key(key_text or bundled_key)
    if key_text:
        bundled_name, bundled_public = _public_key(bundled_key)
        if bundled_public != public:
            raise BundleError("the bundle's key is not the key given with --key")
        name = name or bundled_name
    text = _open_note(note, name, public, say)
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 3 or lines[0] != manifest.get("origin"):
        raise BundleError("the checkpoint is not of the log the manifest names")
    try:
        size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
    except ValueError as error:
        raise BundleError("the checkpoint's size or root is malformed") from error
    if manifest.get("tree_size") != size:
        raise BundleError("the manifest's tree size is not the checkpoint's")
    events = manifest.get("events")
    if not isinstance(events, list):
        raise BundleError("the manifest lists no events")
    for event in events:
        event_id = event.get("id") if isinstance(event, dict) else None
        try:
            leaf = hashlib.sha256(b"\x00" + event["content"].encode()).digest()
            proof = [base64.b64decode(value, validate=True) for value in event["proof"]]
            computed = root_from_inclusion(int(event["position"]), size, leaf, proof)
        except (KeyError, TypeError, ValueError, AttributeError):
            computed = None
        if computed != root:
            say(f"event {event_id}: its inclusion proof does NOT hold")
            return EXIT_MISMATCH
    about = manifest.get("about") or {}
    say(
        f"OK {len(events)} events{' of ' + str(about.get('incident')) if about else ''} "
        f"are in the log {lines[0]} of {size} events"
    )
    return EXIT_OK


def audit_verify(args, say) -> int:
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise UsageError(f"{args.file}: no such file")
    key_text = None
    if args.key:
        key_path = Path(args.key).expanduser()
        key_text = key_path.read_text() if key_path.is_file() else args.key
    try:
        return verify_bundle(path, key_text=key_text, say=say)
    except BundleError as error:
        say(f"REFUSED: {error}")
        return EXIT_MISMATCH


def add_parser(topics) -> None:
    audit = topics.add_parser("audit", help="check audit log proofs offline")
    verbs = audit.add_subparsers(dest="verb", required=True)
    verify = verbs.add_parser("verify", help="check a proof bundle (no server needed)")
    verify.add_argument("file", help="the bundle (.zip) from export_audit_proof or /audit/")
    verify.add_argument(
        "--key",
        help="the log's published key (verifier key text, or a file with it or its PEM); "
        "without it the bundle's own key is used",
    )
    verify.set_defaults(handler=audit_verify, offline=True)
