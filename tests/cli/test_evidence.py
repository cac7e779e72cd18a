"""`cordon evidence push|verify` against a live server: what arrives, with which
receipt, from which path and host; refusals; a file changing under the client."""

import hashlib
import socket

import pytest

from cordon_cli import main as cordon_main
from evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db(transaction=True)

EVIDENCE_SCOPES = ("incidents:read", "evidence:read", "evidence:write")
LOG = b"".join(b'10.0.0.%d - - "GET /shell.php?c=id HTTP/1.1" 200\n' % n for n in range(5000))


@pytest.fixture
def case(lead, make_incident):
    return make_incident(reporter=lead, title="Web shell on www1")


@pytest.fixture
def access_log(tmp_path):
    path = tmp_path / "var" / "log" / "nginx" / "access.log"
    path.parent.mkdir(parents=True)
    path.write_bytes(LOG)
    return path


def test_push_a_log_file_and_wait_until_verified(cordon, lead, case, access_log):
    result = cordon(
        lead,
        "evidence",
        "push",
        str(access_log),
        "--incident",
        case.reference,
        "--kind",
        "log",
        "--note",
        "nginx access log",
        "--wait",
        scopes=EVIDENCE_SCOPES,
    )
    assert result.code == 0, result.stderr
    item = EvidenceItem.objects.get()
    sha256 = hashlib.sha256(LOG).hexdigest()
    assert item.incident_id == case.pk
    assert item.kind == "log"
    assert item.original_name == "access.log"
    assert item.source_path == str(access_log)
    assert item.source_host == socket.gethostname()
    assert item.description == "nginx access log"
    assert item.size == len(LOG)
    assert item.receipt_sha256 == sha256
    assert item.sender_sha256 == sha256
    assert item.status == "verified"
    assert f"evidence {item.pk}: verified" in result.stdout
    assert f"sha256: {sha256}" in result.stdout
    assert f"sha1: {hashlib.sha1(LOG).hexdigest()}" in result.stdout  # noqa: S324
    assert f"md5: {hashlib.md5(LOG).hexdigest()}" in result.stdout  # noqa: S324
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_push_by_incident_id_without_waiting(cordon, lead, case, access_log):
    result = cordon(
        lead,
        "evidence",
        "push",
        str(access_log),
        "--incident",
        str(case.pk),
        scopes=("evidence:write",),
    )
    assert result.code == 0, result.stderr
    item = EvidenceItem.objects.get()
    assert f"evidence {item.pk}" in result.stdout
    assert item.receipt_sha256 in result.stdout


def test_a_directory_is_refused_without_recursive(cordon, lead, case, access_log):
    folder = access_log.parent
    (folder / "error.log").write_bytes(b"oops\n")
    refused = cordon(
        lead,
        "evidence",
        "push",
        str(folder),
        "--incident",
        case.reference,
        scopes=EVIDENCE_SCOPES,
    )
    assert refused.code == 2
    assert "--recursive" in refused.stderr
    assert not EvidenceItem.objects.exists()
    pushed = cordon(
        lead,
        "evidence",
        "push",
        str(folder.parent),
        "--recursive",
        "--incident",
        case.reference,
        scopes=EVIDENCE_SCOPES,
    )
    assert pushed.code == 0, pushed.stderr
    assert sorted(EvidenceItem.objects.values_list("source_path", flat=True)) == [
        str(access_log),
        str(folder / "error.log"),
    ]


def test_push_without_evidence_write_is_exit_5(cordon, lead, case, access_log):
    result = cordon(
        lead,
        "evidence",
        "push",
        str(access_log),
        "--incident",
        str(case.pk),
        scopes=("incidents:read", "evidence:read"),
    )
    assert result.code == 5
    assert "403" in result.stderr
    assert not EvidenceItem.objects.exists()


def test_push_into_an_incident_out_of_sight_is_exit_6(cordon, reporter, case, access_log):
    result = cordon(
        reporter,
        "evidence",
        "push",
        str(access_log),
        "--incident",
        str(case.pk),
        scopes=EVIDENCE_SCOPES,
    )
    assert result.code == 6
    assert "404" in result.stderr
    assert not EvidenceItem.objects.exists()


def test_verify_match_and_mismatch(cordon, lead, case, access_log, tmp_path):
    pushed = cordon(
        lead,
        "evidence",
        "push",
        str(access_log),
        "--incident",
        case.reference,
        "--wait",
        scopes=EVIDENCE_SCOPES,
    )
    assert pushed.code == 0, pushed.stderr
    item = EvidenceItem.objects.get()
    same = cordon(
        lead,
        "evidence",
        "verify",
        str(item.pk),
        "--file",
        str(access_log),
        scopes=EVIDENCE_SCOPES,
    )
    assert same.code == 0, same.stderr
    assert "MATCH" in same.stdout
    tampered = tmp_path / "tampered.log"
    tampered.write_bytes(LOG.replace(b"shell.php", b"index.php"))
    different = cordon(
        lead,
        "evidence",
        "verify",
        str(item.pk),
        "--file",
        str(tampered),
        scopes=EVIDENCE_SCOPES,
    )
    assert different.code == 1
    assert "sha256: MISMATCH" in different.stdout


def test_a_file_that_shrinks_while_read_is_reported_and_never_verifies(
    live_server, lead, case, tmp_path, monkeypatch, capsys
):
    """The body keeps its promised length (zero padding) with the hash of what was read,
    so the server's item fails its check, and the client says so and exits non-zero."""
    from tests.factories import issue_token

    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * (3 * 1024 * 1024))

    class TruncateAfterFirstChunk:
        def __init__(self, label):
            self.calls = 0

        def __call__(self, done, total):
            self.calls += 1
            if self.calls == 1:
                with path.open("r+b") as handle:
                    handle.truncate(1024 * 1024 + 10)

        def finish(self):
            pass

    monkeypatch.setattr(cordon_main, "ProgressBar", TruncateAfterFirstChunk)
    monkeypatch.setenv("CORDON_URL", live_server.url)
    monkeypatch.setenv("CORDON_TOKEN", issue_token(lead, *EVIDENCE_SCOPES))
    code = cordon_main.main(["evidence", "push", str(path), "--incident", case.reference, "--wait"])
    captured = capsys.readouterr()
    assert code == 9
    assert "shrank while being read" in captured.err
    assert "integrity_failure" in captured.err
    item = EvidenceItem.objects.get()
    assert item.status == "integrity_failure"
    assert f"evidence {item.pk}: integrity_failure" in captured.out


def test_a_vanished_file_is_a_clear_error(cordon, lead, case, tmp_path):
    result = cordon(
        lead,
        "evidence",
        "push",
        str(tmp_path / "gone.log"),
        "--incident",
        case.reference,
        scopes=EVIDENCE_SCOPES,
    )
    assert result.code == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
