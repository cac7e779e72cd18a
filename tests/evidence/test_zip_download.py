"""Download as an AES-encrypted zip with the password `infected` (`?format=zip`)."""

import hashlib
import io
import os

import pytest
import pyzipper

from evidence import services
from evidence.models import Action, EvidenceItem
from tests.conftest import sign_in
from tests.evidence.conftest import stored_files

pytestmark = pytest.mark.django_db

DATA = b"MZ" + os.urandom(2 * 1024 * 1024 + 3)  # more than one read chunk


@pytest.fixture
def item(token_client, responder, incident, push):
    item_id = push(token_client(responder, "evidence:write"), incident, DATA, name="x.exe").json()[
        "id"
    ]
    return services.evidence_hash_stored(evidence_id=item_id)


def open_zip(content: bytes, password: bytes | None = b"infected") -> tuple[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        (info,) = archive.infolist()
        if password is not None:
            archive.setpassword(password)
        return info.filename, archive.read(info.filename)


def test_api_download_as_an_encrypted_zip_opens_with_infected(token_client, responder, item, vault):
    response = token_client(responder, "evidence:read").get(
        f"/api/v1/evidence/{item.pk}/download/?format=zip"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"x.exe.zip\"; filename*=UTF-8''x.exe.zip"
    )
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    assert DATA[:4096] not in content  # encrypted, not merely stored
    name, data = open_zip(content)
    assert name == "x.exe"
    assert hashlib.sha256(data).hexdigest() == item.sha256
    with pytest.raises(RuntimeError):
        open_zip(content, password=None)
    with pytest.raises(RuntimeError):
        open_zip(content, password=b"wrong")
    event = item.custody.get(action=Action.DOWNLOADED)
    assert event.data == {"channel": "api", "format": "zip"}
    assert stored_files(vault / "tmp") == []


def test_browser_download_as_an_encrypted_zip(client, responder, item):
    sign_in(client, responder)
    response = client.get(f"/evidence/{item.pk}/download/?format=zip")
    assert response.status_code == 200
    _, data = open_zip(b"".join(response.streaming_content))
    assert hashlib.sha256(data).hexdigest() == item.sha256
    assert (
        EvidenceItem.objects.get(pk=item.pk).custody.filter(action=Action.DOWNLOADED).count() == 1
    )


def test_an_unknown_format_is_400_and_records_nothing(client, token_client, responder, item):
    api = token_client(responder, "evidence:read")
    # DRF answers an unknown ?format= with 404 before the view runs.
    assert api.get(f"/api/v1/evidence/{item.pk}/download/?format=rar").status_code == 404
    sign_in(client, responder)
    assert client.get(f"/evidence/{item.pk}/download/?format=rar").status_code == 400
    assert not item.custody.filter(action=Action.DOWNLOADED).exists()


def test_the_zip_of_a_disposed_item_is_410(token_client, responder, lead, item):
    services.evidence_dispose(item=item, actor=lead, reason="retention")
    response = token_client(responder, "evidence:read").get(
        f"/api/v1/evidence/{item.pk}/download/?format=zip"
    )
    assert response.status_code == 410
