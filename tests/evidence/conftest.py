"""Evidence fixtures: a vault folder per test, and a raw multipart upload helper."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def vault(settings, tmp_path, monkeypatch):
    """EVIDENCE_ROOT in the test's own folder, so every test starts with an empty vault
    (in the environment too, for a worker process the test starts)."""
    root = tmp_path / "vault"
    settings.EVIDENCE_ROOT = root
    settings.EVIDENCE_STORAGE = "local"
    monkeypatch.setenv("EVIDENCE_ROOT", str(root))
    monkeypatch.setenv("EVIDENCE_STORAGE", "local")
    return root


def stored_files(root):
    """Every file under the vault (objects and temporary uploads)."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def multipart(fields: dict, *, filename: str | None = None, content: bytes = b""):
    """A multipart/form-data body written by hand, so the file name is sent exactly as
    given (Django's test client would strip path parts before sending)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    if filename is not None:
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{quoted}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def push():
    """`push(client, incident, content, name="x.bin", **fields)` → the API's response."""

    def upload(client, incident, content: bytes, name: str = "sample.bin", **fields):
        body, content_type = multipart(fields, filename=name, content=content)
        return client.generic(
            "POST", f"/api/v1/incidents/{incident.pk}/evidence/", body, content_type=content_type
        )

    return upload


@pytest.fixture
def make_upload(vault):
    """`make_upload(content, name="sample.bin")` → an EvidenceUpload as the streaming
    handler leaves it: a finished file under the vault's tmp folder, with its receipt."""
    import hashlib

    from evidence.storage import upload_tmp_dir
    from evidence.uploads import EvidenceUpload

    def make(content: bytes, name: str = "sample.bin") -> EvidenceUpload:
        path = upload_tmp_dir() / f"upload-{uuid.uuid4().hex}"
        path.write_bytes(content)
        return EvidenceUpload(
            file=path.open("rb"),
            name=name,
            content_type="application/octet-stream",
            size=len(content),
            charset=None,
            receipt_sha256=hashlib.sha256(content).hexdigest(),
        )

    return make
