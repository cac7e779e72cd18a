"""The S3 path, end to end, against moto's S3-compatible server on loopback: upload,
hashing, verification, download and verify_evidence catching a changed object."""

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from evidence import services, verification
from evidence.models import Action, EvidenceItem, Status
from evidence.storage import S3Store, _store_for, evidence_store
from tests.evidence.conftest import stored_files

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
pytest.importorskip("storages.backends.s3")

pytestmark = pytest.mark.django_db

ACCESS_KEY = "cordon-test"
SECRET_KEY = "cordon-test-secret"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on 127.0.0.1, on a free port the system chose."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, request):
    """A fresh bucket, and the evidence store pointed at it (EVIDENCE_STORAGE=s3)."""
    name = f"cordon-evidence-{request.node.name.lower().replace('_', '-')[:30]}-{os.getpid()}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name)
    settings.EVIDENCE_STORAGE = "s3"
    settings.EVIDENCE_S3_OPTIONS = {
        **settings.EVIDENCE_S3_OPTIONS,
        "bucket_name": name,
        "endpoint_url": s3_endpoint,
        "region_name": REGION,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
    }
    _store_for.cache_clear()
    yield client, name
    _store_for.cache_clear()


def object_key(item: EvidenceItem) -> str:
    return f"evidence/{item.storage_key}"


def test_upload_hash_download_and_verify_through_s3(
    bucket, token_client, responder, incident, push, vault
):
    s3, name = bucket
    assert isinstance(evidence_store(), S3Store)
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    client = token_client(responder, "evidence:read", "evidence:write")

    response = push(
        client, incident, data, name="../../dump.bin", sha256=hashlib.sha256(data).hexdigest()
    )

    assert response.status_code == 201, response.content
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    stored = s3.get_object(Bucket=name, Key=object_key(item))["Body"].read()
    assert stored == data
    assert "dump" not in object_key(item)
    assert stored_files(vault) == []  # the upload left no local copy

    services.evidence_hash_stored(evidence_id=item.pk)
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.sha1 == hashlib.sha1(data).hexdigest()  # noqa: S324
    assert item.md5 == hashlib.md5(data).hexdigest()  # noqa: S324

    download = client.get(f"/api/v1/evidence/{item.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert item.custody.filter(action=Action.DOWNLOADED).exists()

    call_command("verify_evidence")  # all good: exit 0

    changed = bytearray(data)
    changed[1000] ^= 0x01
    s3.put_object(Bucket=name, Key=object_key(item), Body=bytes(changed))
    with pytest.raises(CommandError) as failure:
        call_command("verify_evidence")
    assert failure.value.returncode == 1
    assert str(item.pk) in str(failure.value)
    item.refresh_from_db()
    assert item.status == Status.INTEGRITY_FAILURE


def test_a_missing_object_is_caught_by_verify_evidence(
    bucket, token_client, responder, incident, push
):
    s3, name = bucket
    item_id = push(token_client(responder, "evidence:write"), incident, b"x" * 100).json()["id"]
    services.evidence_hash_stored(evidence_id=item_id)
    s3.delete_object(Bucket=name, Key=object_key(EvidenceItem.objects.get(pk=item_id)))

    results = verification.evidence_verify_all()

    assert [(result.item_id, result.ok) for result in results] == [(item_id, False)]
    assert "missing" in results[0].reason


def test_disposal_removes_the_object_from_the_bucket(
    bucket, token_client, responder, lead, incident, push, django_capture_on_commit_callbacks
):
    s3, name = bucket
    item_id = push(token_client(responder, "evidence:write"), incident, b"y" * 100).json()["id"]
    item = EvidenceItem.objects.get(pk=item_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_dispose(item=item, actor=lead, reason="retention")
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0
    assert EvidenceItem.objects.get(pk=item_id).disposed_at is not None


def test_the_orphan_sweep_lists_unreferenced_objects_in_the_bucket(
    bucket, token_client, responder, incident, push
):
    s3, name = bucket
    item_id = push(token_client(responder, "evidence:write"), incident, b"z" * 100).json()["id"]
    orphan_key = "0123456789abcdef0123456789abcdef"
    s3.put_object(Bucket=name, Key=f"evidence/{orphan_key}", Body=b"left by a crash")
    s3.put_object(Bucket=name, Key="elsewhere/not-evidence", Body=b"not ours")

    orphans = list(verification.evidence_orphans(older_than=timedelta(0)))

    assert [(orphan.key, orphan.item_id) for orphan in orphans] == [(orphan_key, None)]
    listed = {key for key, _modified in evidence_store().listing()}
    assert listed == {orphan_key, EvidenceItem.objects.get(pk=item_id).storage_key}
