"""Search across everything (`/search/?q=`, `GET /api/v1/search/?q=`): every source,
grouped by incident, highlighted and escaped, only what the person may see, and
hostile input answered with a clean 400 or a literal match."""

import hashlib

import pytest

from disclosures import services as disclosure_services
from incidents import services
from incidents.models import IncidentType
from observables.services import ObservableInput, observables_add
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

API = "/api/v1/search/"


@pytest.fixture
def world(make_incident, lead, responder, store_evidence, make_member):
    """An open incident with something in every source, and a restricted one the
    responder does not crew holding the same words and values."""
    cases = {}
    for name, restricted in (("open", False), ("secret", True)):
        incident = make_incident(
            reporter=lead,
            restricted=restricted,
            title=f"Web shell on www-{name}",
            description="Attacker uploaded a zebracorn script",
            tags=["webshell"],
            incident_type=IncidentType.objects.get(key="web_app_compromise"),
            custom_fields={"application": f"shop-{name}"},
        )
        services.timeline_entry_add(
            incident=incident,
            actor=lead,
            body="Connections from 203.0.113.77 seen in the proxy log",
        )
        services.task_add(incident=incident, actor=lead, title="Rebuild quokkaserver")
        item = store_evidence(
            incident, lead, f"evidence of {name}".encode(), name=f"{name}-access.log"
        )
        observables_add(
            incident=incident,
            actor=lead,
            items=[ObservableInput(type="domain", value=f"evil-{name}.example")],
        )
        disclosure_services.disclosure_create(
            incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
        )
        cases[name] = (incident, item)
    return cases


def _api(token_client, user):
    return token_client(user, "search:read")


def _references(answer):
    return [group["incident"]["reference"] for group in answer.json()["results"]]


def test_an_address_only_in_a_timeline_note_finds_its_incident(world, token_client, responder):
    answer = _api(token_client, responder).get(API, {"q": "203.0.113.77"})
    assert answer.status_code == 200
    (group,) = answer.json()["results"]
    assert group["incident"]["reference"] == world["open"][0].reference
    assert {hit["kind"] for hit in group["hits"]} == {"timeline_entry"}
    assert "<mark>203.0.113.77</mark>" in group["hits"][0]["snippet"]


def test_a_sha256_finds_its_evidence_item(world, token_client, lead):
    incident, item = world["open"]
    digest = hashlib.sha256(b"evidence of open").hexdigest()
    answer = _api(token_client, lead).get(API, {"q": digest})
    (group,) = answer.json()["results"]
    assert group["incident"]["id"] == incident.pk
    assert {"kind": "evidence", "id": item.pk} == {
        key: group["hits"][0][key] for key in ("kind", "id")
    }


def test_a_partial_reference_finds_its_incidents(world, token_client, lead):
    reference = world["open"][0].reference  # INC-<year>-000N
    partial = reference[4:11]  # "<year>-00"
    answer = _api(token_client, lead).get(API, {"q": partial})
    assert set(_references(answer)) == {world["open"][0].reference, world["secret"][0].reference}


def test_every_source_is_searched(world, token_client, lead):
    api = _api(token_client, lead)
    kinds = {
        q: {
            hit["kind"]
            for group in api.get(API, {"q": q}).json()["results"]
            for hit in group["hits"]
        }
        for q in (
            "zebracorn",
            "quokkaserver",
            "evil-open.example",
            "open-access.log",
            "shop-open",
            "webshell",
        )
    }
    # The description, and the disclosure draft prefilled from it.
    assert kinds["zebracorn"] == {"incident", "disclosure"}
    assert kinds["quokkaserver"] == {"task"}
    assert "observable" in kinds["evil-open.example"]
    assert "evidence" in kinds["open-access.log"]
    assert kinds["shop-open"] == {"incident"}  # a custom field value
    assert kinds["webshell"] >= {"incident"}  # a tag


def test_nothing_of_a_restricted_incident_out_of_sight(world, token_client, responder, client):
    api = _api(token_client, responder)
    secret = world["secret"][0].reference
    for q in (
        "zebracorn",
        "203.0.113.77",
        "quokkaserver",
        "evil-secret.example",
        "shop-secret",
        secret,
    ):
        assert secret not in _references(api.get(API, {"q": q}))
    sign_in(client, responder)
    page = client.get("/search/", {"q": "zebracorn"}).content.decode()
    assert world["open"][0].reference in page and secret not in page


def test_the_page_escapes_and_highlights(make_incident, lead, client):
    make_incident(reporter=lead, title="<script>alert(1)</script> quasar")
    sign_in(client, lead)
    page = client.get("/search/", {"q": "quasar"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>quasar</mark>" in page


@pytest.mark.parametrize(
    "q",
    [
        "&|!():*'\"\\",
        "' OR 1=1; DROP TABLE incidents_incident; --",
        "web & shell | !x",
        "a:* <-> b",
        "%_%",
        "\u202e",
    ],
)
def test_syntax_and_sql_are_literal_never_a_500(world, token_client, lead, client, q):
    answer = _api(token_client, lead).get(API, {"q": q})
    assert answer.status_code in (200, 400)
    if answer.status_code == 200:
        assert answer.json()["results"] == [] or all(
            group["incident"]["reference"] for group in answer.json()["results"]
        )
    sign_in(client, lead)
    assert client.get("/search/", {"q": q}).status_code in (200, 400)


def test_a_10000_character_query_is_a_400_naming_q(token_client, lead, client):
    answer = _api(token_client, lead).get(API, {"q": "a" * 10_000})
    assert answer.status_code == 400 and "q" in answer.json()
    assert _api(token_client, lead).get(API, {"q": ""}).status_code == 400
    assert _api(token_client, lead).get(API, {"q": "a\x00b"}).status_code == 400
    sign_in(client, lead)
    assert client.get("/search/", {"q": "a" * 10_000}).status_code == 400


def test_the_token_needs_search_read(token_client, lead):
    assert token_client(lead, "incidents:read").get(API, {"q": "x"}).status_code == 403


def test_the_navigation_has_a_search_box(client, lead):
    sign_in(client, lead)
    assert 'action="/search/"' in client.get("/").content.decode()
