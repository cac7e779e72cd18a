"""Proofs and signed checkpoints held against an independent RFC 9162 implementation
(tests/audit/merkle_reference.py) and an independent signed-note check."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import checkpoints, merkle, signing
from audit.chain import LEAF_FIELDS, leaf_content
from audit.models import AuditEvent
from audit.proofs import ProofError, consistency_proof, inclusion_proof, root_at
from audit.sequencer import sequence_pending
from tests.audit import merkle_reference as ref

pytestmark = pytest.mark.django_db

EVENTS = 37


@pytest.fixture
def log():
    """EVENTS events, sequenced in uneven batches (each batch reloads the tree's edge)."""
    for n in range(EVENTS):
        audit.record("test.event", data={"n": n})
        if n % 7 == 3:
            sequence_pending(batch_size=5)
    sequence_pending(batch_size=4)
    events = list(AuditEvent.objects.order_by("position"))
    assert [event.position for event in events] == list(range(EVENTS))
    # Leaves from the content itself, not from what the log stored.
    leaves = [
        ref.leaf(leaf_content({name: getattr(event, name) for name in LEAF_FIELDS}).encode())
        for event in events
    ]
    return events, leaves


def test_stored_leaves_and_roots_match_the_reference(log):
    events, leaves = log
    assert [bytes.fromhex(event.leaf_hash) for event in events] == leaves
    for size in range(1, EVENTS + 1):
        assert root_at(size) == ref.mth(leaves[:size]), size


def test_every_inclusion_proof_is_the_reference_path_and_verifies(log):
    events, leaves = log
    for size in range(1, EVENTS + 1):
        root = ref.mth(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(event_id=events[index].pk, tree_size=size)
            assert proof.leaf_index == index and proof.leaf_hash == leaves[index]
            assert proof.hashes == ref.path(index, leaves[:size]), (index, size)
            assert merkle.root_from_inclusion(index, size, proof.leaf_hash, proof.hashes) == root


def test_every_consistency_proof_is_the_reference_proof_and_verifies(log):
    _, leaves = log
    for second in range(1, EVENTS + 1):
        for first in range(1, second + 1):
            proof = consistency_proof(first=first, second=second)
            assert proof == ref.consistency(first, leaves[:second]), (first, second)
            assert merkle.verify_consistency(
                first, second, ref.mth(leaves[:first]), ref.mth(leaves[:second]), proof
            )


def test_a_wrong_proof_does_not_verify(log):
    events, leaves = log
    proof = inclusion_proof(event_id=events[5].pk, tree_size=20)
    root = ref.mth(leaves[:20])
    bad = [proof.hashes[0][:-1] + bytes([proof.hashes[0][-1] ^ 1]), *proof.hashes[1:]]
    assert merkle.root_from_inclusion(5, 20, proof.leaf_hash, bad) != root
    assert merkle.root_from_inclusion(6, 20, proof.leaf_hash, proof.hashes) != root
    consistency = consistency_proof(first=7, second=20)
    assert not merkle.verify_consistency(7, 20, ref.mth(leaves[:8]), root, consistency)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"event_id": 10**9, "tree_size": 1}, "event"),
        ({"tree_size": 10**6}, "tree_size"),
        ({"tree_size": 3, "index": 5}, "tree_size"),
    ],
)
def test_an_impossible_inclusion_proof_names_the_parameter(log, kwargs, field):
    events, _ = log
    index = kwargs.pop("index", 0)
    kwargs.setdefault("event_id", events[index].pk)
    with pytest.raises(ProofError) as excinfo:
        inclusion_proof(**kwargs)
    assert excinfo.value.field == field


def test_an_unsequenced_event_has_no_proof_yet(log):
    waiting = audit.record("test.waiting")
    with pytest.raises(ProofError, match="no position"):
        inclusion_proof(event_id=waiting.pk, tree_size=EVENTS)


# --- Signed checkpoints -----------------------------------------------------------


def parse_note(note: str):
    """Split a signed note as the C2SP spec says, without Cordon's code."""
    text, _, signatures = note.rpartition("\n\n")
    (line,) = signatures.strip("\n").split("\n")
    assert line.startswith("\u2014 ")
    name, encoded = line[2:].rsplit(" ", 1)
    blob = base64.b64decode(encoded)
    return text + "\n", name, blob[:4], blob[4:]


def test_a_checkpoint_is_a_c2sp_signed_note_of_the_tree_head(log):
    _, leaves = log
    checkpoint = checkpoints.publish(force=True)
    text, name, key_id, signature = parse_note(checkpoint.note)
    origin, size, root = text.rstrip("\n").split("\n")
    assert (origin, int(size)) == (signing.origin(), EVENTS)
    assert base64.b64decode(root) == ref.mth(leaves) == bytes(checkpoint.root_hash)
    key = signing.log_key()
    assert name == origin
    assert key_id == hashlib.sha256(name.encode() + b"\n\x01" + key.public_bytes).digest()[:4]
    key.public.verify(signature, text.encode())  # raises when it does not hold
    assert signing.open_note(checkpoint.note) == text
    verifier_name, verifier_id, verifier_key = key.verifier_key.split("+", 2)
    assert (verifier_name, verifier_id) == (name, key_id.hex())
    assert base64.b64decode(verifier_key) == b"\x01" + key.public_bytes


def test_no_new_checkpoint_until_the_log_grows_or_it_is_due(log):
    first = checkpoints.publish(force=True)
    assert checkpoints.publish(force=True) is None  # nothing new to sign
    audit.record("test.more")
    sequence_pending()
    assert checkpoints.publish() is None  # not due yet
    assert checkpoints.publish(force=True).tree_size == first.tree_size + 1


def test_a_note_signed_with_another_key_or_changed_fails(log):
    checkpoint = checkpoints.publish(force=True)
    other = signing.LogKey(
        name=signing.origin(),
        private=(private := Ed25519PrivateKey.generate()),
        public=private.public_key(),
    )
    forged = signing.sign_note(signing.checkpoint_text(EVENTS + 5, b"\x00" * 32), other)
    with pytest.raises(signing.NoteError, match="no signature by"):
        signing.open_note(forged)
    tampered = checkpoint.note.replace(f"\n{EVENTS}\n", f"\n{EVENTS - 1}\n")
    with pytest.raises(signing.NoteError, match="does not match"):
        signing.open_note(tampered)
