"""TLP:RED evidence leaves Cordon only for the incident's crew and the leads: the
evidence package and the printable report leave red items out for anyone else, and
say how many."""

import io
import json
import zipfile

import pytest

from accounts.roles import Role
from evidence import services
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

RED_NAME = "red-memory.txt"
AMBER_NAME = "amber-access.log"


@pytest.fixture
def marked(token_client, lead, incident, push):
    client = token_client(lead, "evidence:read", "evidence:write")
    for name, tlp in ((RED_NAME, "red"), (AMBER_NAME, "amber")):
        response = push(client, incident, f"{name}\n".encode(), name=name, tlp=tlp)
        assert response.status_code == 201, response.content
        services.evidence_hash_stored(evidence_id=response.json()["id"])
    return incident


def package(token_client, user, incident):
    client = token_client(user, "evidence:read")
    response = client.get(f"/api/v1/incidents/{incident.pk}/evidence/export/")
    assert response.status_code == 200, response.content
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    return archive.namelist(), manifest


def test_the_package_leaves_red_items_out_for_someone_off_the_crew(
    token_client, make_member, marked
):
    outsider = make_member(role=Role.RESPONDER)
    names, manifest = package(token_client, outsider, marked)
    assert any(AMBER_NAME in name for name in names)
    assert not any(RED_NAME in name for name in names)
    assert [item["original_name"] for item in manifest["items"]] == [AMBER_NAME]
    assert manifest["withheld_tlp_red"] == 1


def test_the_package_holds_red_items_for_a_lead(token_client, lead, marked):
    names, manifest = package(token_client, lead, marked)
    assert any(RED_NAME in name for name in names)
    assert manifest["withheld_tlp_red"] == 0


def test_the_report_leaves_red_items_out_for_a_reader_off_the_crew(client, manager, lead, marked):
    sign_in(client, manager)
    html = client.get(f"/incidents/{marked.pk}/report/").content.decode()
    assert AMBER_NAME in html
    assert RED_NAME not in html
    assert "1 evidence item marked TLP:RED is left out" in html

    sign_in(client, lead)
    html = client.get(f"/incidents/{marked.pk}/report/").content.decode()
    assert RED_NAME in html and AMBER_NAME in html
    assert "marked TLP:RED is left out" not in html
