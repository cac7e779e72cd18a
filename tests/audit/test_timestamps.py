"""RFC 3161 time-stamps of checkpoints, against a local time-stamping authority:
`openssl ts -reply` behind a tiny HTTP server on loopback."""

import hashlib
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import audit
from audit import checkpoints, timestamps
from audit.models import CheckpointTimestamp
from audit.sequencer import sequence_pending

pytestmark = pytest.mark.django_db

TS_CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603, S607


@pytest.fixture
def authority(tmp_path, settings):
    """A CA, a time-stamping certificate under it, and `openssl ts -reply` serving on
    a loopback port. Yields (url, the CA file); `authority.forge` swaps the signer."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "serial").write_text("01\n")
    (tmp_path / "ts.cnf").write_text(TS_CONFIG.format(dir=tmp_path))
    (tmp_path / "ext.cnf").write_text("extendedKeyUsage = critical,timeStamping\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=tmp_path)
    openssl(
        "req", "-new", "-x509", "-key", "ca.key", "-subj", "/CN=Test TSA Root", "-days", "2",
        "-out", "ca.crt", cwd=tmp_path,
    )  # fmt: skip
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tsa.key", cwd=tmp_path)
    openssl(
        "req", "-new", "-key", "tsa.key", "-subj", "/CN=Test TSA", "-out", "tsa.csr", cwd=tmp_path
    )
    openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext.cnf", "-out", "tsa.crt", cwd=tmp_path,
    )  # fmt: skip
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(self.headers["Content-Type"])
            (tmp_path / "query.tsq").write_bytes(query)
            openssl(
                "ts", "-reply", "-config", "ts.cnf", "-queryfile", "query.tsq", "-out",
                "reply.tsr", cwd=tmp_path,
            )  # fmt: skip
            body = (tmp_path / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.AUDIT_TSA_URL = f"http://127.0.0.1:{server.server_port}/tsa"
    settings.AUDIT_TSA_CA_FILE = str(tmp_path / "ca.crt")
    try:
        yield tmp_path, requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def checkpoint():
    audit.record("test.event")
    sequence_pending()
    return checkpoints.publish(force=True)


def test_a_checkpoint_is_time_stamped_by_the_authority(authority, checkpoint):
    folder, requests = authority
    stamp = timestamps.stamp_latest()
    assert requests == ["application/timestamp-query"]
    assert stamp.checkpoint == checkpoint and stamp.gen_time is not None
    # openssl itself agrees: the stored answer is a stamp of the checkpoint's note.
    (folder / "stored.tsr").write_bytes(bytes(stamp.response))
    (folder / "note.txt").write_bytes(checkpoint.note.encode())
    command = ["openssl", "ts", "-verify", "-in", "stored.tsr", "-data", "note.txt"]
    command += ["-CAfile", "ca.crt", "-untrusted", "tsa.crt"]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    assert timestamps.stamp_latest() is None  # already stamped


def test_a_stamp_from_an_authority_outside_the_configured_root_is_refused(
    authority, checkpoint, settings, tmp_path_factory
):
    other = tmp_path_factory.mktemp("other")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=other)
    openssl(
        "req", "-new", "-x509", "-key", "ca.key", "-subj", "/CN=Another Root", "-days", "2",
        "-out", "ca.crt", cwd=other,
    )  # fmt: skip
    settings.AUDIT_TSA_CA_FILE = str(other / "ca.crt")
    with pytest.raises(timestamps.TimestampError, match="does not hold"):
        timestamps.stamp(checkpoint)
    assert timestamps.stamp_latest() is None  # logged, not raised
    assert not CheckpointTimestamp.objects.exists()


def test_no_authority_no_stamp(checkpoint, settings):
    settings.AUDIT_TSA_URL = ""
    assert timestamps.stamp_latest() is None


def test_the_stamp_covers_the_note_hash(authority, checkpoint):
    from rfc3161_client import decode_timestamp_response

    stamp = timestamps.stamp(checkpoint)
    info = decode_timestamp_response(bytes(stamp.response)).tst_info
    assert info.message_imprint.message == hashlib.sha256(checkpoint.note.encode()).digest()
