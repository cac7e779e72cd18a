"""The OpenAPI description of the API and its browsable docs (CONTRACT.md, REST API)."""

import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_yaml_schema_is_the_same_document(client, schema):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == schema


def test_the_schema_describes_the_incident_endpoints(schema):
    assert set(schema["paths"]["/api/v1/incidents/"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/v1/incidents/{id}/"]) >= {"get", "patch"}
    assert "put" not in schema["paths"]["/api/v1/incidents/{id}/"]
    assert "delete" not in schema["paths"]["/api/v1/incidents/{id}/"]


def test_the_schema_declares_bearer_authentication_on_every_operation(schema):
    schemes = schema["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]
    assert bearer
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {bearer[0]: []} in operation["security"], (method, path)


def test_filing_documents_the_idempotency_key_header(schema):
    parameters = schema["paths"]["/api/v1/incidents/"]["post"]["parameters"]
    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)


def test_operation_descriptions_describe_the_api_not_its_plumbing(schema):
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert "Mix into a viewset" not in operation.get("description", "")


def test_the_docs_page_loads_nothing_from_another_site(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", html)
    assert external == []
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


def test_the_docs_assets_are_served_locally(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"""<script src=["']([^"']+)""", html)
    assert scripts
    # Swagger UI from the sidecar; its start-up script from the page's own URL (strict CSP).
    assert all(
        src.startswith("/static/drf_spectacular_sidecar/") or src == "/api/docs/?script="
        for src in scripts
    )


def test_the_schema_describes_the_observable_endpoints(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/incidents/{incident_pk}/observables/"]) >= {"get", "post"}
    assert set(paths["/api/v1/incidents/{incident_pk}/observables/{id}/"]) >= {
        "get",
        "patch",
        "delete",
    }
    assert "get" in paths["/api/v1/observables/"]
    body = paths["/api/v1/incidents/{incident_pk}/observables/"]["post"]["requestBody"]
    assert "oneOf" in body["content"]["application/json"]["schema"]
