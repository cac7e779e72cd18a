"""Bytes, hashes and custody never change: in code, and on PostgreSQL in the database."""

import hashlib
import secrets

import pytest
from django.db import DatabaseError, connection, transaction

from evidence.models import (
    Action,
    CustodyEvent,
    EvidenceItem,
    ImmutableEvidence,
    Status,
    clean_original_name,
)
from tests.conftest import assert_truncate_refused

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


@pytest.fixture
def item(incident, responder):
    digest = hashlib.sha256(b"malware").hexdigest()
    return EvidenceItem.objects.create(
        incident=incident,
        collected_by=responder,
        original_name="dropper.bin",
        storage_key=secrets.token_hex(16),
        size=7,
        receipt_sha256=digest,
    )


@pytest.fixture
def event(item, responder):
    return CustodyEvent.objects.create(item=item, action=Action.RECEIVED, actor=responder)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("size", 8), ("receipt_sha256", "0" * 64), ("storage_key", "elsewhere"), ("kind", "log")],
)
def test_receipt_facts_cannot_change(item, field, value):
    setattr(item, field, value)
    with pytest.raises(ImmutableEvidence):
        item.save()


@pytest.mark.django_db
def test_a_hash_is_set_once_and_never_changed(item):
    item.sha256 = item.receipt_sha256
    item.status = Status.VERIFIED
    item.save()

    item.sha256 = "f" * 64
    with pytest.raises(ImmutableEvidence):
        item.save()


@pytest.mark.django_db
def test_an_integrity_failure_is_never_undone(item):
    item.status = Status.INTEGRITY_FAILURE
    item.save()
    item.status = Status.VERIFIED
    with pytest.raises(ImmutableEvidence):
        item.save()


@pytest.mark.django_db
def test_items_and_custody_refuse_delete_and_bulk_update(item, event):
    with pytest.raises(ImmutableEvidence):
        item.delete()
    with pytest.raises(ImmutableEvidence):
        EvidenceItem.objects.filter(pk=item.pk).delete()
    with pytest.raises(ImmutableEvidence):
        EvidenceItem.objects.filter(pk=item.pk).update(size=1)
    with pytest.raises(ImmutableEvidence):
        event.delete()
    event.reason = "rewritten"
    with pytest.raises(ImmutableEvidence):
        event.save()
    with pytest.raises(ImmutableEvidence):
        CustodyEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ImmutableEvidence):
        CustodyEvent.objects.all().delete()


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE evidence_evidenceitem SET size = 8 WHERE id = %s",
        "UPDATE evidence_evidenceitem SET receipt_sha256 = repeat('0', 64) WHERE id = %s",
        "DELETE FROM evidence_evidenceitem WHERE id = %s",
    ],
)
def test_postgresql_trigger_refuses_raw_changes_to_an_item(item, statement):
    with (
        pytest.raises(DatabaseError, match="never"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [item.pk])


@needs_postgresql
@pytest.mark.django_db
def test_postgresql_trigger_refuses_rewriting_a_set_hash(item):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evidence_evidenceitem SET sha256 = receipt_sha256, status = 'verified' "
            "WHERE id = %s",
            [item.pk],
        )
    with (
        pytest.raises(DatabaseError, match="never change"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE evidence_evidenceitem SET sha256 = repeat('f', 64) WHERE id = %s", [item.pk]
        )


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE evidence_custodyevent SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM evidence_custodyevent WHERE id = %s",
    ],
)
def test_postgresql_trigger_refuses_changing_custody(event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("model", [EvidenceItem, CustodyEvent], ids=["item", "custody"])
def test_postgresql_refuses_truncate(event, model):
    assert_truncate_refused(model._meta.db_table)
    assert model.objects.exists()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../x", "x"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("a\x00b.txt", "ab.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        ("/etc/passwd", "passwd"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("tab\there\nnewline", "tabherenewline"),
    ],
)
def test_hostile_names_are_cleaned(sent, kept):
    assert clean_original_name(sent) == kept


def test_long_names_are_cut_to_255():
    assert len(clean_original_name("a" * 300)) == 255
