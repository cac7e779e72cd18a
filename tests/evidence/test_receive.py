"""Receiving evidence: the bytes go to the store *before* the transaction that records
the item, its custody events and its audit event, so a slow store holds no lock that
another write needs (the audit chain lock is held from the first audited write until
commit); and when that transaction fails, the stored object is removed again.

The lock test is the two-connection test CONVENTIONS.md asks for: an upload stores
its bytes slowly in one thread (its own database connection) while another files an
incident, an unrelated audited write, and must not wait for the store.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

import audit
from audit.models import AuditEvent
from evidence import services, storage
from evidence.models import CustodyEvent, EvidenceItem
from incidents import services as incident_services
from tests.evidence.conftest import stored_files

# How long the slow store takes to store an upload, and how long an unrelated write
# may take while it does (it took the whole store before: about 2.9 s).
STORE_SECONDS = 3
UNRELATED_WRITE_SECONDS = 1.0


class SlowStore(storage.LocalStore):
    """The local store, but storing takes STORE_SECONDS (a large file, a far bucket)."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.storing = threading.Event()
        self.stored = threading.Event()

    def put(self, *, key: str, source_path: str) -> None:
        self.storing.set()
        time.sleep(STORE_SECONDS)
        super().put(key=key, source_path=source_path)
        self.stored.set()


@pytest.fixture
def slow_store(monkeypatch, vault):
    store = SlowStore(vault)
    monkeypatch.setattr(storage, "_store_for", lambda kind, root: store)
    return store


def objects(vault):
    return stored_files(vault / "objects")


def _receive_in_another_connection(outcome: dict, **arguments) -> None:
    try:
        outcome["item"] = services.evidence_receive(**arguments)
    except Exception as error:  # handed to the test, which asserts on it
        outcome["error"] = error
    finally:
        connections.close_all()  # this thread's connection only


@pytest.mark.django_db(transaction=True)
def test_an_upload_being_stored_does_not_hold_up_an_unrelated_audited_write(
    slow_store, responder, lead, make_incident, make_upload, vault
):
    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once need PostgreSQL")
    incident = make_incident(reporter=responder)
    upload = make_upload(b"a memory image " * 1000, name="memory.img")
    outcome: dict = {}
    uploader = threading.Thread(
        target=_receive_in_another_connection,
        args=(outcome,),
        kwargs={"incident": incident, "actor": responder, "uploaded_file": upload},
    )
    uploader.start()
    try:
        assert slow_store.storing.wait(timeout=10), "the upload never reached the store"
        started = time.monotonic()
        other = incident_services.incident_file(
            reporter=lead, title="Phishing wave", severity="medium"
        )
        waited = time.monotonic() - started
        still_storing = not slow_store.stored.is_set()
    finally:
        uploader.join(timeout=30)

    assert waited < UNRELATED_WRITE_SECONDS, (
        f"filing an incident waited {waited:.2f} s for an upload to reach the store"
    )
    assert still_storing, "the store finished before the other write: the test proves nothing"
    assert "error" not in outcome, outcome.get("error")
    item = outcome["item"]
    assert EvidenceItem.objects.filter(pk=item.pk).exists()
    assert storage.evidence_store().exists(item.storage_key)
    assert AuditEvent.objects.filter(action="incident.filed", target_id=str(other.pk)).exists()


@pytest.fixture
def commit_refused():
    """A deferred constraint trigger on PostgreSQL: every transaction that inserts an
    evidence item fails at COMMIT with an integrity error, after everything in it ran."""
    if connection.vendor != "postgresql":
        pytest.skip("a deferred constraint trigger needs PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION cordon_test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'refused at commit' USING ERRCODE = '23514'; END $$"
        )
        cursor.execute(
            "CREATE CONSTRAINT TRIGGER cordon_test_refuse_commit AFTER INSERT "
            "ON evidence_evidenceitem DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION cordon_test_refuse_commit()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER cordon_test_refuse_commit ON evidence_evidenceitem")
        cursor.execute("DROP FUNCTION cordon_test_refuse_commit()")


@pytest.mark.django_db(transaction=True)
def test_a_transaction_failing_at_commit_after_the_store_leaves_no_object(
    commit_refused, responder, make_incident, make_upload, vault
):
    incident = make_incident(reporter=responder)
    upload = make_upload(b"a log file\n" * 100)

    with pytest.raises(IntegrityError, match="refused at commit"):
        services.evidence_receive(incident=incident, actor=responder, uploaded_file=upload)

    assert objects(vault) == []
    assert not EvidenceItem.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.received").exists()


@pytest.mark.django_db
def test_a_transaction_failing_after_the_store_leaves_no_object(
    monkeypatch, responder, incident, make_upload, vault
):
    recorded = audit.record

    def refuse_the_receipt(action, **arguments):
        if action == "evidence.received":
            raise IntegrityError("the audit event could not be written")
        return recorded(action, **arguments)

    monkeypatch.setattr(audit, "record", refuse_the_receipt)
    upload = make_upload(b"an infected file")

    with pytest.raises(IntegrityError):
        services.evidence_receive(incident=incident, actor=responder, uploaded_file=upload)

    assert objects(vault) == []
    assert not EvidenceItem.objects.exists()
    assert not CustodyEvent.objects.exists()


@pytest.mark.django_db
def test_receiving_inside_another_transaction_is_refused_and_leaves_no_object(
    responder, incident, make_upload, vault
):
    """An outer transaction would hold its locks through the store, and could still
    roll back after the item's rows were written: the recording refuses to nest."""
    upload = make_upload(b"a packet capture")

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        incident.timeline.create(body="a write before the upload")
        services.evidence_receive(incident=incident, actor=responder, uploaded_file=upload)

    assert objects(vault) == []
    assert not EvidenceItem.objects.exists()


@pytest.mark.django_db
def test_an_invalid_upload_is_refused_before_anything_is_stored(
    responder, incident, make_upload, vault
):
    upload = make_upload(b"a screenshot")

    with pytest.raises(ValidationError):
        services.evidence_receive(
            incident=incident, actor=responder, uploaded_file=upload, kind="not-a-kind"
        )

    assert objects(vault) == []
    assert not EvidenceItem.objects.exists()


@pytest.mark.django_db
def test_a_received_item_is_stored_under_its_random_key(responder, incident, make_upload, vault):
    upload = make_upload(b"a disk image", name="../../etc/passwd")

    item = services.evidence_receive(incident=incident, actor=responder, uploaded_file=upload)

    assert objects(vault) == [storage.evidence_store().path(item.storage_key)]
    assert storage.evidence_store().open(item.storage_key).read() == b"a disk image"
    assert item.original_name == "passwd"
