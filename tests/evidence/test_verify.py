"""Re-verification of stored evidence: `manage.py verify_evidence` and the beat job."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from evidence import services, tasks, verification
from evidence.models import Action, CustodyEvent, EvidenceItem, Status
from evidence.storage import evidence_store
from notifications.models import Notification
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(token_client, responder, incident, push):
    client = token_client(responder)
    ids = [push(client, incident, f"evidence {n}".encode() * 500).json()["id"] for n in range(3)]
    for item_id in ids:
        services.evidence_hash_stored(evidence_id=item_id)
    return list(EvidenceItem.objects.filter(pk__in=ids).order_by("pk"))


def flip_a_byte(item, offset=100):
    path = evidence_store().path(item.storage_key)
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def run_verify():
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)
    return out.getvalue()


def test_verify_evidence_says_ok_when_nothing_changed(items):
    assert run_verify().strip() == "OK 3 items"
    for item in items:
        assert item.custody.last().action == Action.RE_VERIFIED


def test_verify_evidence_catches_a_flipped_byte(items, lead):
    flip_a_byte(items[1])

    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_evidence", stdout=out)

    assert refused.value.returncode == 1
    assert out.getvalue().splitlines() == [f"FAILED {items[1].pk}: content changed"]
    items[1].refresh_from_db()
    assert items[1].status == Status.INTEGRITY_FAILURE
    assert list(items[1].custody.values_list("action", flat=True))[-2:] == [
        Action.RE_VERIFIED,
        Action.INTEGRITY_FAILURE,
    ]
    assert Notification.objects.filter(recipient=lead, subject__contains="INTEGRITY").count() == 1


def test_a_missing_object_is_caught(items):
    evidence_store().delete(items[0].storage_key)
    with pytest.raises(CommandError):
        run_verify()
    items[0].refresh_from_db()
    assert items[0].status == Status.INTEGRITY_FAILURE


@pytest.fixture
def eager(monkeypatch):
    """Tasks run in this process when enqueued, as without a broker."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def integrity_alerts(user):
    return Notification.objects.filter(recipient=user, subject__contains="INTEGRITY").count()


def reverified(item, run):
    return item.custody.filter(action=Action.RE_VERIFIED, data__run=run)


def what_is_recorded():
    """Every kind of row a re-verification may write."""
    return (
        CustodyEvent.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.usefixtures("eager")
def test_the_periodic_job_alerts_once_per_change(items, lead):
    flip_a_byte(items[2])

    first = tasks.evidence_verify_all.apply().get()
    second = tasks.evidence_verify_all.apply().get()

    assert (first["batches"], first["items"]) == (second["batches"], second["items"]) == (1, 3)
    assert first["run"] != second["run"]
    for item in items:  # once in each run
        assert reverified(item, first["run"]).count() == 1
        assert reverified(item, second["run"]).count() == 1
    assert reverified(items[2], second["run"]).get().data["ok"] is False
    items[2].refresh_from_db()
    assert items[2].status == Status.INTEGRITY_FAILURE
    assert integrity_alerts(lead) == 1


def test_the_periodic_job_only_hands_out_ids_in_batches(
    items, settings, monkeypatch, django_assert_num_queries
):
    """The beat task reads ids (one query, no item loaded) and enqueues a batch task per
    EVIDENCE_VERIFY_BATCH_ITEMS ids; it hashes nothing itself."""
    settings.EVIDENCE_VERIFY_BATCH_ITEMS = 2
    enqueued = []
    monkeypatch.setattr(
        tasks.evidence_verify_batch, "delay", lambda **kwargs: enqueued.append(kwargs)
    )
    custody_before = CustodyEvent.objects.count()

    with django_assert_num_queries(1):
        answer = tasks.evidence_verify_all.apply(task_id="beat-run-1").get()

    assert answer == {"run": "beat-run-1", "batches": 2, "items": 3}
    ids = [item.pk for item in items]
    assert enqueued == [
        {"evidence_ids": ids[:2], "run": "beat-run-1"},
        {"evidence_ids": ids[2:], "run": "beat-run-1"},
    ]
    assert CustodyEvent.objects.count() == custody_before


def test_a_batch_holds_at_most_its_bytes_and_a_large_item_goes_alone(
    token_client, responder, incident, push
):
    client = token_client(responder)
    sizes = [600, 300, 2000, 100, 100]
    ids = [push(client, incident, b"x" * size).json()["id"] for size in sizes]

    batches = list(verification.stored_evidence_batches(max_items=100, max_bytes=1000))

    assert batches == [ids[:2], ids[2:3], ids[3:]]


@pytest.mark.usefixtures("eager")
def test_the_same_run_delivered_twice_records_nothing_twice(items, lead):
    """A fan-out or a batch given again by the broker (acks_late, past the visibility
    timeout) keeps its run: nothing is hashed into a second record or alert."""
    flip_a_byte(items[1])
    first = tasks.evidence_verify_all.apply(task_id="beat-run-2").get()
    recorded = what_is_recorded()

    again = tasks.evidence_verify_all.apply(task_id="beat-run-2").get()
    batch = tasks.evidence_verify_batch.apply(
        kwargs={"evidence_ids": [item.pk for item in items], "run": "beat-run-2"}
    ).get()

    assert again == first
    assert batch == {"run": "beat-run-2", "checked": 3, "failed": [items[1].pk]}
    assert what_is_recorded() == recorded
    for item in items:
        assert reverified(item, "beat-run-2").count() == 1
    assert items[1].custody.filter(action=Action.INTEGRITY_FAILURE).count() == 1
    assert AuditEvent.objects.filter(action="evidence.integrity_failure").count() == 1
    assert integrity_alerts(lead) == 1


def test_a_run_records_an_item_once_when_another_delivery_recorded_it_meanwhile(items):
    """Two deliveries hashing the same item at once: the second finds the first's record
    under the item's lock and writes nothing."""
    real_hash = verification._hash_stored
    hashed = []

    def hash_while_the_other_delivery_records(item):
        hashed.append(item.pk)
        if len(hashed) == 1:  # the first delivery, while it reads the bytes
            verification.evidence_reverify(evidence_id=item.pk, run="beat-run-3")
        return real_hash(item)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verification, "_hash_stored", hash_while_the_other_delivery_records)
        result = verification.evidence_reverify(evidence_id=items[0].pk, run="beat-run-3")

    assert hashed == [items[0].pk, items[0].pk]
    assert result == verification.VerifyResult(items[0].pk, True)
    assert reverified(items[0], "beat-run-3").count() == 1


def test_the_periodic_job_is_scheduled():
    entry = django_settings.CELERY_BEAT_SCHEDULE["evidence-verify-all"]
    assert entry["task"] == "evidence.tasks.evidence_verify_all"


@pytest.fixture
def celery_worker_env():
    return {"EVIDENCE_VERIFY_BATCH_ITEMS": "2"}


@pytest.mark.worker
def test_the_worker_re_verifies_every_item_in_batches_and_flags_a_change_once(
    celery_worker, token_client, responder, lead, incident, push
):
    client = token_client(responder)
    ids = [push(client, incident, f"item {n}".encode() * 300).json()["id"] for n in range(5)]
    wait_for(
        lambda: EvidenceItem.objects.filter(pk__in=ids, status=Status.VERIFIED).count() == 5,
        timeout=60,
    )
    items = list(EvidenceItem.objects.filter(pk__in=ids).order_by("pk"))
    flip_a_byte(items[3])

    run = tasks.evidence_verify_all.delay().id  # the fan-out runs in the worker too

    wait_for(
        lambda: (
            CustodyEvent.objects.filter(
                item_id__in=ids, action=Action.RE_VERIFIED, data__run=run
            ).count()
            == 5
        ),
        timeout=60,
    )
    statuses = dict(EvidenceItem.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {
        item.pk: Status.INTEGRITY_FAILURE if item == items[3] else Status.VERIFIED for item in items
    }
    assert items[3].custody.filter(action=Action.INTEGRITY_FAILURE).count() == 1
    assert integrity_alerts(lead) == 1

    # The broker gives the same batch again; then a marker batch of another run, which
    # the one worker takes only after it (one queue, first in first out).
    recorded = what_is_recorded()
    tasks.evidence_verify_batch.delay(evidence_ids=ids, run=run)
    tasks.evidence_verify_batch.delay(evidence_ids=[ids[0]], run="marker")
    wait_for(lambda: reverified(items[0], "marker").exists(), timeout=60)

    assert CustodyEvent.objects.count() == recorded[0] + 1  # the marker's own record
    assert CustodyEvent.objects.filter(data__run=run).count() == 5
    assert items[3].custody.filter(action=Action.INTEGRITY_FAILURE).count() == 1
    assert Notification.objects.count() == recorded[2]
