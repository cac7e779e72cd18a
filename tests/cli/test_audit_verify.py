"""Offline proof bundles: `manage.py export_audit_proof` writes one, `cordon audit verify`
checks it without a server; any changed byte, a forged or truncated bundle, a checkpoint
signed with another key all fail; openssl checks the checkpoint's signature too."""

import base64
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

import audit
from audit import signing
from audit.bundle import MEMBERS, stored_zip
from cordon_cli.auditproof import verify_bundle
from tests.cli.conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(tmp_path, make_incident, lead):
    incident = make_incident(reporter=lead, title="Leaked keys")
    audit.record("test.note", actor=lead, target=incident, data={"n": 1})
    audit.record("test.unrelated", data={"n": 2})
    path = tmp_path / "proof.zip"
    out = io.StringIO()
    call_command(
        "export_audit_proof", "--incident", incident.reference, "--out", str(path), stdout=out
    )
    assert "events of" in out.getvalue()
    return path, incident


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path, **changed: bytes) -> None:
    """Rebuild the bundle as Cordon writes it, with some members changed (a careful forger)."""
    parts = {**members(path), **changed}
    path.write_bytes(stored_zip([(name, parts[name]) for name in MEMBERS]))


def verify(path, key=None) -> tuple[int, str]:
    lines: list[str] = []
    try:
        code = verify_bundle(path, key_text=key, say=lines.append)
    except Exception as error:  # the CLI reports BundleError as REFUSED
        return 1, f"REFUSED: {error}"
    return code, "\n".join(lines)


def cli(*args) -> tuple[int, str]:
    result = run("audit", "verify", *map(str, args), env={"PATH": "/usr/bin:/bin"}, timeout=60)
    return result.code, result.stdout + result.stderr


def test_an_exported_bundle_verifies_offline_with_the_cli(bundle):
    path, incident = bundle
    manifest = json.loads(members(path)["manifest.json"])
    assert manifest["about"]["incident"] == incident.reference
    actions = [json.loads(event["content"])[1] for event in manifest["events"]]
    assert "test.note" in actions and "test.unrelated" not in actions
    assert "incident.filed" in actions or "model.created" in actions
    code, output = cli(path, "--key", signing.log_key().verifier_key)
    assert code == 0, output
    assert f"OK {len(actions)} events of {incident.reference}" in output
    assert "checkpoint signature: valid" in output


def test_flipping_any_byte_of_the_bundle_fails(bundle):
    path, _ = bundle
    original = path.read_bytes()
    assert verify(path)[0] == 0
    for offset in range(len(original)):
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        assert verify(path)[0] == 1, f"a flipped byte at {offset} went unnoticed"
    damaged = bytearray(original)
    damaged[len(original) // 2] ^= 0x40
    path.write_bytes(bytes(damaged))
    code, output = cli(path)
    assert code == 1 and "REFUSED" in output


def test_a_truncated_bundle_is_refused_clearly(bundle):
    path, _ = bundle
    path.write_bytes(path.read_bytes()[:-100])
    code, output = cli(path)
    assert code == 1
    assert "REFUSED: the bundle is damaged or truncated" in output


def test_a_forged_event_names_the_event(bundle):
    path, _ = bundle
    manifest = json.loads(members(path)["manifest.json"])
    victim = manifest["events"][-1]
    victim["content"] = victim["content"].replace("test.note", "test.harmless")
    rewrite(path, **{"manifest.json": json.dumps(manifest).encode()})
    code, output = verify(path)
    assert code == 1
    assert f"event {victim['id']}: its inclusion proof does NOT hold" in output


def test_a_checkpoint_signed_with_another_key_fails(bundle):
    path, _ = bundle
    private = Ed25519PrivateKey.generate()
    other = signing.LogKey(name=signing.origin(), private=private, public=private.public_key())
    note = members(path)["checkpoint.txt"].decode()
    text = note.rpartition("\n\n")[0] + "\n"
    rewrite(path, **{"checkpoint.txt": signing.sign_note(text, other).encode()})
    code, output = verify(path)
    assert code == 1 and "not signed by" in output
    # The forger's own key in the bundle is no help against the log's published key.
    rewrite(path, **{"verifier_key.txt": (other.verifier_key + "\n").encode()})
    assert verify(path)[0] == 0  # consistent with itself...
    code, output = verify(path, key=signing.log_key().verifier_key)
    assert code == 1 and "not the key given with --key" in output


def test_openssl_checks_the_checkpoint_signature_as_the_readme_shows(bundle, tmp_path):
    """README, "Checking the audit log yourself": no Python, no Cordon."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    path, _ = bundle
    parts = members(path)
    (tmp_path / "public_key.pem").write_bytes(parts["public_key.pem"])
    note = parts["checkpoint.txt"].decode()
    text, _, signature_line = note.rpartition("\n\n")
    (tmp_path / "checkpoint.txt").write_bytes(parts["checkpoint.txt"])
    script = r"""
set -e
sed '/^$/,$d' checkpoint.txt > text
tail -n 1 checkpoint.txt | awk '{print $NF}' | base64 -d | tail -c 64 > sig
openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in text -sigfile sig
"""
    result = subprocess.run(  # noqa: S603 - the README's commands
        ["/bin/sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Signature Verified Successfully" in result.stdout
    assert (tmp_path / "text").read_text() == text + "\n"
    # A changed tree size no longer verifies.
    forged = note.split("\n")
    forged[1] = str(int(forged[1]) + 1)
    (tmp_path / "checkpoint.txt").write_text("\n".join(forged))
    result = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert base64.b64decode(signature_line.split()[-1])[:4].hex() == signing.log_key().key_id.hex()


def test_without_cryptography_the_client_says_the_signature_is_not_checked(bundle):
    import sys

    path, _ = bundle
    program = (
        "import sys; sys.modules['cryptography'] = None\n"
        "from cordon_cli.main import main\n"
        f"sys.exit(main(['audit', 'verify', {str(path)!r}]))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and client
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signature NOT checked" in result.stdout
    assert "OK " in result.stdout
