"""An integrity failure's custody entry says exactly which comparison failed: the stored
bytes against the receipt taken as they arrived, against the sender's own SHA-256, or
their size. It never claims a mismatch that was not found."""

import hashlib

import pytest

from evidence import services
from evidence.hashing import mismatch_reason
from evidence.models import Action, Status

pytestmark = pytest.mark.django_db

DATA = b"exfiltration script\n"
RECEIPT = hashlib.sha256(DATA).hexdigest()
OTHER = "ab" * 32
THIRD = "cd" * 32
SIZE = len(DATA)


def reason(found=RECEIPT, size=SIZE, sender=""):
    return mismatch_reason(
        found_sha256=found,
        found_size=size,
        receipt_sha256=RECEIPT,
        sender_sha256=sender,
        size=len(DATA),
    )


def test_all_matching_is_no_reason():
    assert reason() == ""
    assert reason(sender=RECEIPT) == ""


def test_only_the_senders_hash_differs():
    assert reason(sender=OTHER) == (
        "The stored bytes hash to the receipt taken as they arrived, "
        "but not to the sender's SHA-256."
    )


def test_only_the_receipt_differs():
    assert reason(found=OTHER, sender=OTHER) == (
        "The stored bytes hash to the sender's SHA-256, "
        "but not to the receipt taken as they arrived."
    )


def test_both_differ():
    assert reason(found=THIRD, sender=OTHER) == (
        "The stored bytes match neither the receipt nor the sender's SHA-256."
    )


def test_no_senders_hash_and_the_receipt_differs():
    assert (
        reason(found=OTHER) == "The stored bytes do not hash to the receipt taken as they arrived."
    )


def test_a_different_size_is_said_as_such():
    assert reason(size=3) == f"3 bytes are stored where {len(DATA)} were received."


def test_a_senders_hash_that_differs_is_recorded_as_exactly_that(incident, responder, make_upload):
    item = services.evidence_receive(
        incident=incident, actor=responder, uploaded_file=make_upload(DATA), sender_sha256=OTHER
    )
    services.evidence_hash_stored(evidence_id=item.pk)

    item.refresh_from_db()
    assert item.status == Status.INTEGRITY_FAILURE
    reasons = list(
        item.custody.filter(action=Action.INTEGRITY_FAILURE).values_list("reason", flat=True)
    )
    assert reasons == [
        "The sender's SHA-256 differs from the bytes received.",
        "The stored bytes hash to the receipt taken as they arrived, "
        "but not to the sender's SHA-256.",
    ]
    assert not any("neither" in text for text in reasons)
