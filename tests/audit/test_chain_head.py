"""Signed chain heads outside the database (issue 6): beat appends the head to a file,
`verify_audit_chain --heads FILE` proves no exported head was cut off or rewritten."""

import io
import json
import os
import stat
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

import audit
from audit import chainhead
from audit.models import AuditEvent
from audit.sequencer import sequence_pending
from audit.tasks import audit_export_chain_head
from tests.audit.test_chain import ROOT, TABLE, insert_raw_event, tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_file(tmp_path, settings):
    path = tmp_path / "heads" / "chain-heads.jsonl"
    path.parent.mkdir()
    settings.AUDIT_CHAIN_HEAD_FILE = str(path)
    return path


def append(count: int, action: str = "test.event") -> list[AuditEvent]:
    """`count` new events, sequenced (as the sequencer does after their commit)."""
    ids = [audit.record(action, data={"n": n}).pk for n in range(count)]
    sequence_pending()
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("position"))


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify_with_heads(path) -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", "--heads", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def assert_heads_fail(path, *, line: int, says: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", "--heads", str(path), stdout=out, stderr=io.StringIO())
    assert excinfo.value.returncode == 1
    message = str(excinfo.value)
    assert f"line {line}" in message, message
    assert says in message, message
    return out.getvalue()


# --- Export -----------------------------------------------------------------------


def test_the_beat_task_appends_the_signed_head_to_a_private_file(head_file):
    *_, last = append(3)
    assert audit_export_chain_head() == f"exported {last.pk}"
    (line,) = lines(head_file)
    assert (line["id"], line["hash"]) == (last.pk, last.hash)
    assert set(line) == {"id", "hash", "at", "sig"}
    head = chainhead.Head(id=line["id"], hash=line["hash"], at=line["at"])
    assert line["sig"] == chainhead.sign(head)
    assert stat.S_IMODE(head_file.stat().st_mode) == 0o600


def test_an_unchanged_head_is_not_written_again_and_a_new_one_is_appended(head_file):
    append(2)
    audit_export_chain_head()
    assert audit_export_chain_head() == "unchanged"
    assert len(lines(head_file)) == 1
    *_, newest = append(2)
    audit_export_chain_head()
    exported = lines(head_file)
    assert len(exported) == 2
    assert exported[-1]["id"] == newest.pk
    assert exported[0]["id"] < exported[1]["id"]


def test_the_task_does_nothing_when_no_file_is_set(settings, tmp_path):
    settings.AUDIT_CHAIN_HEAD_FILE = ""
    append(1)
    assert audit_export_chain_head() == "off"
    assert list(tmp_path.iterdir()) == []


def test_the_signature_depends_on_the_secret_key_or_the_explicit_key(head_file, settings):
    append(1)
    head = chainhead.export_head()
    signature = chainhead.sign(head)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert chainhead.sign(head) != signature
    settings.AUDIT_CHAIN_HEAD_KEY = "an explicit chain head key"
    explicit = chainhead.sign(head)
    settings.SECRET_KEY = "yet-another-secret-key-" + "y" * 40
    assert chainhead.sign(head) == explicit


# --- Verification -----------------------------------------------------------------


def test_intact_chain_and_heads_verify_ok(head_file):
    for _ in range(3):
        append(2)
        audit_export_chain_head()
    output = verify_with_heads(head_file).splitlines()
    assert output == [f"OK {AuditEvent.objects.count()} events", "OK 3 signed heads"]


def test_a_cut_off_tail_fails_with_the_head_that_is_gone(head_file):
    append(2)
    audit_export_chain_head()
    *_, last = append(3)
    audit_export_chain_head()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [last.pk - 1])  # noqa: S608

    # The chain alone cannot tell: what is left still links up.
    call_command("verify_audit_chain", stdout=io.StringIO(), stderr=io.StringIO())
    out = assert_heads_fail(head_file, line=2, says=f"event {last.pk} exported at")
    assert out.strip().splitlines()[-1] == f"BROKEN HEAD {last.pk}"
    assert_heads_fail(head_file, line=2, says="is gone: the tail was cut off")


def test_a_rewritten_tail_with_fresh_hashes_fails(head_file):
    *_, before, last = append(3)
    audit_export_chain_head()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [last.pk])  # noqa: S608
    # A well-formed replacement under the same id, linked to its predecessor.
    insert_raw_event(prev_hash=before.hash, event_id=last.pk)

    call_command("verify_audit_chain", stdout=io.StringIO(), stderr=io.StringIO())
    assert_heads_fail(head_file, line=1, says="now has another hash: the tail was rewritten")


def test_a_forged_line_fails(head_file):
    append(2)
    audit_export_chain_head()
    *_, last = append(1)
    forged = {"id": last.pk, "hash": last.hash, "at": "2026-01-01T00:00:00+00:00"}
    forged["sig"] = "0" * 64
    with head_file.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    assert_heads_fail(head_file, line=2, says="bad signature")


def test_a_line_signed_with_another_key_fails(head_file, settings):
    append(1)
    settings.AUDIT_CHAIN_HEAD_KEY = "the attacker's own key"
    audit_export_chain_head()
    settings.AUDIT_CHAIN_HEAD_KEY = ""
    assert_heads_fail(head_file, line=1, says="bad signature")


def test_a_garbled_line_fails(head_file):
    append(1)
    audit_export_chain_head()
    with head_file.open("a") as handle:
        handle.write('{"id": "not a number"}\n')
    assert_heads_fail(head_file, line=2, says="not a signed chain head line")


def test_a_missing_head_file_is_a_clear_failure(tmp_path):
    append(1)
    with pytest.raises(CommandError, match="cannot read the chain head file") as excinfo:
        call_command(
            "verify_audit_chain",
            "--heads",
            str(tmp_path / "nowhere.jsonl"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert excinfo.value.returncode == 1


def test_after_a_torn_line_the_next_head_starts_on_its_own_line(head_file):
    append(1)
    audit_export_chain_head()
    with head_file.open("a") as handle:
        handle.write('{"id": 12, "hash": "ab')  # a crash in the middle of a write
    *_, newest = append(1)
    assert audit_export_chain_head() == f"exported {newest.pk}"
    assert json.loads(head_file.read_text().splitlines()[-1])["id"] == newest.pk
    # The torn line stays and is reported: nobody can tell it from tampering.
    assert_heads_fail(head_file, line=2, says="not a signed chain head line")


@pytest.mark.parametrize(("file", "scheduled"), [("", False), ("/var/lib/cordon/heads", True)])
def test_beat_exports_heads_only_when_a_file_is_set(file, scheduled):
    code = (
        "from config import settings; "
        "print(settings.CELERY_BEAT_SCHEDULE.get('audit-export-chain-head'))"
    )
    env = {**os.environ, "AUDIT_CHAIN_HEAD_FILE": file, "AUDIT_CHAIN_HEAD_EVERY_SECONDS": "120"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    entry = result.stdout.strip().splitlines()[-1]
    if scheduled:
        assert "audit.tasks.audit_export_chain_head" in entry
        assert "120" in entry
    else:
        assert entry == "None"


@pytest.mark.parametrize(
    "crafted",
    [
        '{"id": 1, "hash": "a", "at": "x", "sig": "\u00e9t\u00e9"}',  # non-ASCII signature
        '{"id": 1e400, "hash": "a", "at": "x", "sig": "00"}',  # id too large for int()
    ],
)
def test_a_crafted_line_is_reported_not_a_crash(head_file, crafted):
    append(1)
    audit_export_chain_head()
    with head_file.open("a", encoding="utf-8") as handle:
        handle.write(crafted + "\n")
    assert_heads_fail(head_file, line=2, says="")


def test_a_cut_off_tail_is_found_behind_a_torn_line(head_file):
    """A known torn line must not hide a truncation after it."""
    append(1)
    audit_export_chain_head()
    with head_file.open("a") as handle:
        handle.write('{"id": 12, "hash": "ab')
    *_, newest = append(2)
    audit_export_chain_head()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [newest.pk])  # noqa: S608
    assert_heads_fail(head_file, line=3, says="is gone: the tail was cut off")


# --- Beat checks the heads too -----------------------------------------------------------


def test_beat_verifies_the_heads_and_alerts_once_on_a_cut_off_tail(head_file, auditor):
    from audit.tasks import audit_verify_chain
    from notifications.models import Notification

    append(2)
    audit_export_chain_head()
    assert audit_verify_chain()["heads_ok"] is True
    *_, last = append(2)
    audit_export_chain_head()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [last.pk])  # noqa: S608

    first = audit_verify_chain()
    audit_verify_chain()

    assert first["ok"] is True  # what is left of the chain still links up...
    assert first["heads_ok"] is False  # ...but a signed head is gone
    (event,) = AuditEvent.objects.filter(action="audit.chain_heads_broken")
    assert "cut off" in event.data["reason"] and event.data["head_id"] == last.pk
    mails = Notification.objects.filter(subject__contains="CHAIN HEADS")
    assert list(mails.values_list("recipient__username", flat=True)) == [auditor.username]


def test_beat_alerts_when_heads_stop_being_exported(head_file, settings, auditor):
    from audit.tasks import audit_verify_chain

    append(1)
    audit_export_chain_head()
    settings.AUDIT_CHAIN_HEAD_EVERY_SECONDS = 0  # any newer event is overdue for export
    append(1)

    result = audit_verify_chain()

    assert result["heads_ok"] is False
    event = AuditEvent.objects.get(action="audit.chain_heads_broken")
    assert "is the exporter running" in event.data["reason"]


def test_beat_alerts_when_the_head_file_is_gone(head_file, auditor):
    from audit.tasks import audit_verify_chain

    append(1)
    audit_export_chain_head()
    head_file.unlink()
    assert audit_verify_chain()["heads_ok"] is False
    assert AuditEvent.objects.filter(action="audit.chain_heads_broken").exists()


def test_the_latest_signed_checkpoint_is_appended_with_the_head(head_file):
    from audit import checkpoints, signing

    append(3)
    checkpoint = checkpoints.publish(force=True)
    audit_export_chain_head()
    (line,) = lines(head_file)
    assert line["checkpoint"] == checkpoint.note
    assert signing.open_note(line["checkpoint"]).split("\n")[1] == str(checkpoint.tree_size)
    call_command("verify_audit_chain", "--heads", str(head_file), stdout=io.StringIO())
