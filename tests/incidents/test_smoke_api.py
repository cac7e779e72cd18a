import pytest

pytestmark = pytest.mark.django_db


def test_token_files_an_incident_and_reads_it_back(responder, token_client):
    client = token_client(responder, "incidents:read", "incidents:write")
    response = client.post("/api/v1/incidents/", {"title": "Web shell found", "severity": "high"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new"
    assert body["reference"].startswith("INC-")
    detail = client.get(f"/api/v1/incidents/{body['id']}/")
    assert detail.json()["title"] == "Web shell found"
