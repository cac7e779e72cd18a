"""The orphan sweep (`verify_evidence --orphans`): bytes are stored before the
transaction that records their item and removed after the one that disposes of it, so
a crash between the two steps can leave an object no kept item refers to. The sweep
lists those, and nothing else."""

import os
import time

import pytest
from django.core.management import CommandError, call_command

from evidence import services, storage
from evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db

HOUR = 3600


def sweep(*arguments) -> tuple[int, str]:
    """(exit code, output) of `verify_evidence --orphans …`."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify_evidence", "--orphans", *arguments, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def age(key: str, seconds: int) -> None:
    path = storage.evidence_store().path(key)
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def crash_before_commit(monkeypatch):
    """evidence_receive as if the process died after storing the bytes and before its
    transaction committed: nothing recorded, and no clean-up ran."""

    def die(item, *, actor):
        raise SystemExit("killed")

    monkeypatch.setattr(services, "_record_receipt", die)
    monkeypatch.setattr(services, "_remove_unrecorded", lambda store, key: None)


def test_an_object_left_by_a_crash_between_store_and_commit_is_listed(
    crash_before_commit, responder, incident, make_upload
):
    with pytest.raises(SystemExit):
        services.evidence_receive(
            incident=incident, actor=responder, uploaded_file=make_upload(b"lost")
        )
    [key] = [key for key, _modified in storage.evidence_store().listing()]
    assert not EvidenceItem.objects.exists()

    assert sweep() == (0, "OK no orphans\n")  # too young: its item may be on its way
    age(key, 2 * HOUR)
    code, output = sweep()

    assert code == 1
    assert output.startswith(f"ORPHAN {key} ")
    assert output.rstrip().endswith("no evidence item refers to it")
    assert storage.evidence_store().exists(key)  # listed, never removed


def test_recorded_items_are_not_orphans(responder, incident, make_upload):
    item = services.evidence_receive(
        incident=incident, actor=responder, uploaded_file=make_upload(b"kept")
    )
    age(item.storage_key, 2 * HOUR)

    assert sweep("--older-than", "0") == (0, "OK no orphans\n")


def test_bytes_a_disposal_failed_to_remove_are_listed_and_the_disposal_stands(
    monkeypatch, lead, incident, make_upload, django_capture_on_commit_callbacks
):
    item = services.evidence_receive(
        incident=incident, actor=lead, uploaded_file=make_upload(b"to be disposed of")
    )

    def store_unreachable(self, key):
        raise OSError("the store did not answer")

    monkeypatch.setattr(storage.LocalStore, "delete", store_unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_dispose(item=item, actor=lead, reason="retention")

    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is not None
    code, output = sweep("--older-than", "0")
    assert code == 1
    assert f"ORPHAN {item.storage_key} " in output
    assert f"evidence #{item.pk} was disposed of, its bytes are still stored" in output
