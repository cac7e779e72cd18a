"""Hostile input from an outside security test (issue 14): each is a clean 4xx that
writes nothing, never a 500. The walk over every endpoint is tests/test_hostile_walk.py."""

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

DEPTH = 100_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH


WEBAUTHN_REFUSALS = ("otp.failed", "step_up.refused")


def no_exceptions(client):
    """A 500 is an answer to look at here, not an exception in the test."""
    client.raise_request_exception = False
    return client


# --- Deeply nested JSON -----------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_to_the_api_is_400_and_writes_nothing(body, responder, token_client):
    client = no_exceptions(token_client(responder, "incidents:read", "incidents:write"))
    with writes_nothing():
        response = client.generic(
            "POST", "/api/v1/incidents/", body, content_type="application/json"
        )
    assert response.status_code == 400, response.content[:300]
    assert "JSON parse error" in response.json()["detail"]


def test_json_nested_just_past_the_limit_is_400_and_at_the_limit_is_parsed(
    settings, responder, token_client
):
    from core.json import max_depth

    client = no_exceptions(token_client(responder, "incidents:read", "incidents:write"))
    limit = max_depth()
    at_limit = {"title": "Nested", "severity": "high", "custom_fields": {}}
    inner = at_limit["custom_fields"]
    for _ in range(limit - 3):  # the body, custom_fields and this chain: `limit` levels
        inner["x"] = {}
        inner = inner["x"]
    too_deep = {"title": "Nested", "severity": "high", "custom_fields": {"x": at_limit}}
    with writes_nothing():
        refused = client.post("/api/v1/incidents/", too_deep, format="json")
    assert refused.status_code == 400, refused.content[:300]
    assert "nested" in refused.json()["detail"]
    parsed = client.post("/api/v1/incidents/", at_limit, format="json")
    # Parsed: whatever the serializer thinks of the custom field, it is not a parse error.
    assert "JSON parse error" not in parsed.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/webauthn/registration/begin/",
        "/webauthn/registration/complete/",
        "/webauthn/authentication/begin/",
        "/webauthn/authentication/complete/",
    ],
)
def test_deeply_nested_json_to_the_webauthn_endpoints_is_400_and_writes_nothing(path, responder):
    client = no_exceptions(Client())
    sign_in(client, responder)
    # A refused sign-in or step-up ceremony is recorded as such (accounts.webauthn).
    with writes_nothing(refusal_actions=WEBAUTHN_REFUSALS):
        response = client.generic("POST", path, DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "malformed_request"


# --- Forged pagination cursors ----------------------------------------------------


def cursor(text: str) -> str:
    """A cursor as DRF's CursorPagination writes them: the base64 of a query string."""
    from base64 import b64encode

    return b64encode(text.encode()).decode()


FORGED_CURSORS = {
    "position not a number": cursor("p=abc"),
    "reversed, position not a number": cursor("r=1&p=abc"),
    "position a fraction": cursor("p=1.5"),
    "position with a NUL": cursor("p=1%00"),
    "position past 64 bits": cursor("p=" + "9" * 30),
    "position below 64 bits": cursor("p=-" + "9" * 30),
    "position of thousands of digits": cursor("p=" + "9" * 5000),
    "huge offset": cursor("o=" + "9" * 30),
    "offset of thousands of digits": cursor("o=" + "9" * 5000),
    "reverse flag not a number": cursor("r=yes"),
    "not base64": "%%%not-base64",
    "not ascii": "é",
}


@pytest.mark.parametrize("forged", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
def test_a_forged_cursor_is_404_invalid_cursor_and_writes_nothing(
    forged, responder, token_client, make_incident
):
    for _ in range(3):
        make_incident(reporter=responder)
    client = no_exceptions(token_client(responder, "incidents:read"))
    with writes_nothing():
        response = client.get("/api/v1/incidents/", {"cursor": forged, "page_size": 1})
    assert response.status_code == 404, response.content[:300]
    body = response.json()
    assert body.pop("request_id")  # every API error carries it (core.api)
    assert body == {"detail": "Invalid cursor"}


def test_the_cursors_the_api_hands_out_still_work(responder, token_client, make_incident):
    for _ in range(3):
        make_incident(reporter=responder)
    client = token_client(responder, "incidents:read")
    first = client.get("/api/v1/incidents/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert len(second["results"]) == 1
    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


# --- Out-of-range integers in the pages' filters ------------------------------------

HUGE = "9" * 20  # past 64 bits: SQLite's driver raises OverflowError on it
FORM_ERROR = 400  # the page, with the filter refused and ignored
HUGE_FILTERS = [
    ("/incidents/action-items/", "owner", HUGE, FORM_ERROR),
    ("/incidents/action-items/", "owner", "9" * 5000, FORM_ERROR),
    # Not ASCII digits ("²".isdigit() is true, int("²") a ValueError): a user name nobody has.
    ("/incidents/action-items/", "owner", "²", 200),
    ("/audit/", "before", HUGE, FORM_ERROR),
    ("/audit/", "before", "9" * 5000, FORM_ERROR),
    # An object's id is text in the audit log (any model's key): no number to overflow.
    ("/audit/", "target", f"incidents.incident:{HUGE}", 200),
    # Django's Paginator answers any page number past the end with the last page.
    ("/incidents/", "page", HUGE, 200),
    ("/incidents/action-items/", "page", HUGE, 200),
]


@pytest.mark.parametrize(("path", "name", "value", "status"), HUGE_FILTERS)
def test_a_huge_number_in_a_page_filter_is_refused_as_a_form_error(path, name, value, status, lead):
    client = no_exceptions(Client())
    sign_in(client, lead)
    with writes_nothing():
        response = client.get(path, {name: value})
    assert response.status_code == status, response.content[:300]
    if status == FORM_ERROR:
        assert 'class="form-errors"' in response.content.decode()
