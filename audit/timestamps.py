"""RFC 3161 time-stamps of signed checkpoints: a time-stamping authority (AUDIT_TSA_URL)
signs the checkpoint's hash with its own clock and key, so when a checkpoint existed
is proven by a third party, not by Cordon's clock. Requested after the checkpoint is
committed (network I/O never runs inside a transaction); a failure is logged and the
next checkpoint is stamped as usual."""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from pathlib import Path

from cryptography import x509
from django.conf import settings
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from audit.models import CheckpointTimestamp, SignedCheckpoint

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024


class TimestampError(Exception):
    """The authority's answer is not a valid time-stamp of the checkpoint."""


def _post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - an operator-configured https:// URL
        url, data=body, headers={"Content-Type": "application/timestamp-query"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
        return answer.read(MAX_RESPONSE_BYTES + 1)


def stamp(checkpoint: SignedCheckpoint) -> CheckpointTimestamp:
    """Ask AUDIT_TSA_URL to time-stamp the checkpoint's note, check the answer (granted,
    our hash, our nonce; signed by a certificate under AUDIT_TSA_CA_FILE when set), keep it."""
    note = checkpoint.note.encode()
    request = (
        TimestampRequestBuilder(hash_algorithm=HashAlgorithm.SHA256)
        .data(note)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    raw = _post(settings.AUDIT_TSA_URL, request.as_bytes())
    if len(raw) > MAX_RESPONSE_BYTES:
        raise TimestampError("the time-stamp answer is too large")
    try:
        response = decode_timestamp_response(raw)
    except ValueError as error:
        raise TimestampError(f"not a time-stamp response: {error}") from error
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"the authority refused: status {response.status}")
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(note).digest():
        raise TimestampError("the time-stamp is of something else")
    if info.nonce != request.nonce:
        raise TimestampError("the time-stamp answers another request (nonce)")
    if settings.AUDIT_TSA_CA_FILE:
        root = x509.load_pem_x509_certificate(Path(settings.AUDIT_TSA_CA_FILE).read_bytes())
        verifier = VerifierBuilder().add_root_certificate(root).nonce(request.nonce).build()
        try:
            verifier.verify_message(response, note)
        except VerificationError as error:
            raise TimestampError(f"the time-stamp's signature does not hold: {error}") from error
    return CheckpointTimestamp.objects.create(
        checkpoint=checkpoint, tsa_url=settings.AUDIT_TSA_URL, response=raw, gen_time=info.gen_time
    )


def stamp_latest() -> CheckpointTimestamp | None:
    """Stamp the newest checkpoint if it has no time-stamp yet (beat, after signing)."""
    if not settings.AUDIT_TSA_URL:
        return None
    checkpoint = SignedCheckpoint.objects.order_by("-tree_size").first()
    if checkpoint is None or checkpoint.timestamps.exists():
        return None
    try:
        return stamp(checkpoint)
    except (OSError, TimestampError) as error:
        logger.warning("time-stamp of checkpoint %s failed: %s", checkpoint.pk, error)
        return None
