"""A worker killed while hashing loses nothing: the task was not acknowledged (acks_late),
the broker gives it to the next worker after the visibility timeout, and the item ends
verified with the right hashes."""

import hashlib
import os
import signal
from pathlib import Path

import pytest

from evidence import services
from evidence.models import Action, EvidenceItem, Status
from evidence.storage import upload_tmp_dir
from evidence.uploads import EvidenceUpload
from tests.conftest import wait_for

SIZE = 1024**3  # large enough that hashing takes a while on any machine we run on
BLOCK = hashlib.sha256(b"cordon").digest() * (1024 * 1024 // 32)


@pytest.fixture
def celery_worker_env():
    # Give a dead worker's task back after 3 s, and look for it every second.
    return {
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }


def _large_upload() -> EvidenceUpload:
    path = upload_tmp_dir() / "crash-test.bin"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(SIZE // len(BLOCK)):
            out.write(BLOCK)
            digest.update(BLOCK)
    return EvidenceUpload(
        file=path.open("rb"),
        name="memory.img",
        content_type="application/octet-stream",
        size=SIZE,
        charset=None,
        receipt_sha256=digest.hexdigest(),
    )


def _has_open(pid: int, folder: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder)):
                return True
        except OSError:
            continue
    return False


@pytest.mark.worker
def test_a_worker_killed_mid_hash_leaves_the_item_to_the_next_worker(
    celery_worker, vault, responder, make_incident
):
    incident = make_incident(reporter=responder)
    upload = _large_upload()
    item = services.evidence_receive(incident=incident, actor=responder, uploaded_file=upload)
    expected = upload.receipt_sha256

    # The worker opens the stored object to hash it: kill it right then, mid-hash.
    wait_for(lambda: _has_open(celery_worker.pid, vault / "objects"), timeout=60, interval=0.01)
    os.kill(celery_worker.pid, signal.SIGKILL)
    celery_worker.wait(timeout=10)
    item.refresh_from_db()
    assert item.status == Status.PENDING
    assert item.sha256 == ""

    successor = celery_worker.start_another()
    try:
        done = wait_for(
            lambda: EvidenceItem.objects.filter(pk=item.pk, status=Status.VERIFIED).first(),
            timeout=120,
            interval=0.2,
        )
    finally:
        successor.terminate()
        successor.wait(timeout=15)
    assert done.sha256 == expected
    assert len(done.sha1) == 40 and len(done.md5) == 32
    # Recorded once, by the successor: the dead worker had written nothing.
    assert done.custody.filter(action=Action.HASHED).count() == 1
