"""Every endpoint against hostile input (issue 14). The endpoints come from the URL
resolver, not from a list in this file, so a list or page added later is walked too:

- every paginated API list with forged cursors: 404 "Invalid cursor";
- every API endpoint that takes a body with deeply nested JSON: 400 (or 415 where
  JSON is not taken at all);
- every HTML page with huge and malformed numbers in each of its query parameters
  (the names its GET forms and its own links use, and the usual ones): 200 or 400;

never a 500, and nothing written but what the same request without the hostile part
writes (a page view may record itself) and the audit log's record of the refusal.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from audit.models import AuditEvent
from tests.conftest import sign_in
from tests.test_hostile_input import DEEP_ARRAY, FORGED_CURSORS
from tests.writes import row_counts

pytestmark = pytest.mark.django_db

API_NAMESPACE = "v1"
# Not Cordon's pages, or not pages: Django's admin, the ceremony endpoints (JSON, in
# tests/test_hostile_input.py), the API and its schema (walked below as the API).
NOT_PAGES = {"admin", "otp_webauthn", API_NAMESPACE}
NOT_PAGE_NAMES = {"api-schema", "api-docs", "healthz"}
BODY_METHODS = ("post", "put", "patch")
HOSTILE_NUMBERS = {
    "past 64 bits": "9" * 20,
    "below 64 bits": "-" + "9" * 20,
    "thousands of digits": "9" * 5000,
    "not an ASCII digit": "²",
}
# Query parameters worth trying on every page, whether or not it shows them.
USUAL_PARAMETERS = ("page", "before", "cursor", "id", "owner")


@dataclass
class Route:
    name: str  # namespaced, for reverse()
    namespace: str
    parameters: tuple[str, ...]
    callback: object = field(repr=False)

    @property
    def actions(self) -> dict:
        return getattr(self.callback, "actions", None) or {}


def _parameters(pattern) -> tuple[str, ...]:
    return tuple(pattern.regex.groupindex)  # path() and re_path() (DRF's routers) alike


def all_routes() -> list[Route]:
    routes = []

    def walk(patterns, namespaces, parameters):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, inner, parameters + _parameters(entry.pattern))
            elif entry.name:
                routes.append(
                    Route(
                        name=":".join([*namespaces, entry.name]),
                        namespace=namespaces[0] if namespaces else "",
                        parameters=parameters + _parameters(entry.pattern),
                        callback=entry.callback,
                    )
                )

    walk(get_resolver().url_patterns, [], ())
    return routes


# --- A small world with one of everything ---------------------------------------------


@pytest.fixture
def world(lead, token_client, settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    from disclosures.regimes import BLANK_PATTERN
    from disclosures.services import disclosure_create, disclosure_edit
    from notifications.services import webhook_endpoint_create
    from tests.factories import IncidentFactory

    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = True
    api = token_client(lead)
    api.raise_request_exception = False
    incident = IncidentFactory(reporter=lead)
    IncidentFactory(reporter=lead)  # two, so lists have a next page at page_size=1
    for n in range(2):
        pushed = api.post(
            f"/api/v1/incidents/{incident.pk}/evidence/",
            {"file": io.BytesIO(b"log line %d" % n), "kind": "log"},
            format="multipart",
        )
        assert pushed.status_code == 201, pushed.content
    from incidents.services import crew_add, system_add, task_add, timeline_entry_add

    system = system_add(incident=incident, actor=lead, name="www-03")
    task = task_add(incident=incident, actor=lead, title="Image www-03")
    entry = timeline_entry_add(incident=incident, actor=lead, body="Saw it")
    crew = crew_add(incident=incident, actor=lead, user=lead)
    disclosure = disclosure_create(incident=incident, actor=lead, audience="users")
    # A second version, so the page shows its diff form; its blanks confirmed, so
    # `submit/` goes through whatever body is sent along (it reads none).
    disclosure_edit(
        disclosure=disclosure,
        actor=lead,
        body=BLANK_PATTERN.sub("confirmed", disclosure.current_version.body) + ".",
    )
    webhook, _ = webhook_endpoint_create(
        created_by=lead, name="hook", url="https://127.0.0.1/hook", events=["webhook.test"]
    )
    observables = api.post(
        f"/api/v1/incidents/{incident.pk}/observables/",
        [{"type": "domain", "value": "evil.example"}, {"type": "ipv4", "value": "192.0.2.7"}],
    )
    assert observables.status_code == 201, observables.content
    techniques = [
        api.post(f"/api/v1/incidents/{incident.pk}/techniques/", {"technique_id": technique})
        for technique in ("T1566.001", "T1059.001")
    ]
    assert techniques[0].status_code == 201, techniques[0].content
    objects = {
        "technique": techniques[0].json()["id"],
        "observable": observables.json()[0]["id"],
        "incident": incident.pk,
        "evidence": pushed.json()["id"],
        "system": system.pk,
        "task": task.pk,
        "timeline_entry": entry.pk,
        "crew_member": crew.pk,
        "disclosure": disclosure.pk,
        "audit_event": AuditEvent.objects.order_by("id").values_list("pk", flat=True).first(),
        "webhook": webhook.pk,
        "member": lead.pk,
        "alert": api.post(
            "/api/v1/alerts/", {"source": "siem", "title": "walk", "observables": []}
        ).json()["id"],
    }
    html = Client()
    html.raise_request_exception = False
    sign_in(html, lead)
    return {"api": api, "html": html, "objects": objects}


# Which object a URL's parameter names, by the namespace it is in; a route with any
# other parameter (a token, a section of a review) is an action, not a page to walk.
OBJECT_OF_PARAMETER = {
    "incident_pk": "incident",
    ("incidents", "pk"): "incident",
    ("dashboard", "pk"): "incident",
    ("evidence", "pk"): "evidence",
    ("disclosures", "pk"): "disclosure",
    ("audit_log", "pk"): "audit_event",
    ("webhooks", "pk"): "webhook",
    ("accounts", "pk"): "member",
    ("observables", "pk"): "observable",
    ("intake", "pk"): "alert",
}
API_OBJECT_OF_MODEL = {
    "Incident": "incident",
    "EvidenceItem": "evidence",
    "Disclosure": "disclosure",
    "AffectedSystem": "system",
    "Task": "task",
    "TimelineEntry": "timeline_entry",
    "CrewMember": "crew_member",
    "Observable": "observable",
    "Alert": "alert",
    "IncidentTechnique": "technique",
}


def url_of(route: Route, objects: dict) -> str | None:
    kwargs = {}
    for parameter in route.parameters:
        if route.namespace == API_NAMESPACE and parameter == "pk":
            model = route.callback.cls.serializer_class.Meta.model.__name__
            key = API_OBJECT_OF_MODEL.get(model)
            assert key, f"{route.name}: give the walk an object of {model}"
        else:
            key = OBJECT_OF_PARAMETER.get(parameter) or OBJECT_OF_PARAMETER.get(
                (route.namespace, parameter)
            )
        if key is None:
            return None
        kwargs[parameter] = objects[key]
    return reverse(route.name, kwargs=kwargs)


def _within(before: dict, after: dict, allowed: dict, times: int = 1) -> dict:
    """Tables that grew by more than `times` the growth in `allowed`."""
    return {
        table: after[table] - before[table]
        for table in before
        if after[table] - before[table] > times * max(allowed.get(table, 0), 0)
    }


def _growth(before: dict, after: dict) -> dict:
    return {table: after[table] - before[table] for table in before}


# --- The API ------------------------------------------------------------------------


def api_routes() -> list[Route]:
    return [route for route in all_routes() if route.namespace == API_NAMESPACE]


def test_the_walk_finds_the_api(world):
    names = {route.name for route in api_routes()}
    assert {"v1:incident-list", "v1:evidence-custody", "v1:incident-disclosure-list"} <= names


# Lists that answer nothing without a query parameter: what to ask them.
REQUIRED_QUERY = {"v1:observable-list": {"value": "evil[.]example"}}


def test_every_paginated_api_list_refuses_forged_cursors(world):
    api, objects = world["api"], world["objects"]
    paginated, problems = [], []
    for route in api_routes():
        if "get" not in route.actions:
            continue
        url = url_of(route, objects)
        before = row_counts()
        query = REQUIRED_QUERY.get(route.name, {})
        plain = api.get(url, {"page_size": 1, **query})
        clean_growth = _growth(before, row_counts())
        body = plain.json() if plain["Content-Type"].startswith("application/json") else None
        if not (isinstance(body, dict) and {"next", "previous", "results"} <= body.keys()):
            assert route.actions["get"] != "list", f"{url}: a list that did not answer a page"
            continue
        paginated.append(url)
        before = row_counts()
        for label, forged in FORGED_CURSORS.items():
            response = api.get(url, {"cursor": forged, "page_size": 1, **query})
            body = response.json() if response.status_code == 404 else {}
            if body.pop("request_id", None) is None or body != {"detail": "Invalid cursor"}:
                problems.append(f"{url} {label}: {response.status_code} {response.content[:120]}")
        grew = _within(before, row_counts(), clean_growth, times=len(FORGED_CURSORS))
        if grew:
            problems.append(f"{url}: forged cursors wrote {grew}")
    assert len(paginated) >= 5, paginated
    assert not problems, "\n".join(problems)


def test_every_api_endpoint_that_takes_a_body_refuses_deeply_nested_json(world):
    api, objects = world["api"], world["objects"]
    problems, refused = [], 0
    for route in api_routes():
        url = url_of(route, objects)
        for method in BODY_METHODS:
            if method not in route.actions:
                continue
            before = row_counts()
            response = api.generic(method.upper(), url, DEEP_ARRAY, content_type="application/json")
            grew = _within(before, row_counts(), {})
            status = response.status_code
            if 200 <= status < 300:
                continue  # an action that takes no body (submit) never reads it
            if status == 400:
                refused += 1
                if "JSON parse error" not in response.json().get("detail", ""):
                    problems.append(f"{method} {url}: 400 but {response.content[:120]}")
            elif status not in (405, 415):  # a method or a media type it never takes
                problems.append(f"{method} {url}: {status} {response.content[:120]}")
            if grew:
                problems.append(f"{method} {url}: wrote {grew}")
    assert refused >= 4
    assert not problems, "\n".join(problems)


# --- The HTML pages -----------------------------------------------------------------


class _QueryNames(HTMLParser):
    """The parameter names a page sends back to itself: its GET forms' fields and the
    query strings of its links to its own path."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form and attrs.get("name"):
            self.names.add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            link = urlsplit(attrs["href"])
            if link.path in ("", self.path):
                self.names.update(name for name, _ in parse_qsl(link.query))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def html_pages(objects) -> list[str]:
    urls = []
    for route in all_routes():
        if route.namespace in NOT_PAGES or route.name in NOT_PAGE_NAMES:
            continue
        if route.actions:  # a DRF view outside the API namespace: none today
            continue
        url = url_of(route, objects)
        if url is not None:
            urls.append(url)
    return sorted(set(urls))


def test_every_page_refuses_huge_numbers_in_its_query_parameters(world):
    client, objects = world["html"], world["objects"]
    walked, problems = [], []
    for url in html_pages(objects):
        before = row_counts()
        plain = client.get(url)
        clean_growth = _growth(before, row_counts())
        if plain.status_code != 200 or not plain["Content-Type"].startswith("text/html"):
            continue
        parser = _QueryNames(url)
        parser.feed(plain.content.decode())
        names = sorted((parser.names | set(USUAL_PARAMETERS)) - {"csrfmiddlewaretoken"})
        walked.append(url)
        before, sent = row_counts(), 0
        for name in names:
            for label, value in HOSTILE_NUMBERS.items():
                response = client.get(url, {name: value})
                sent += 1
                if response.status_code not in (200, 400):
                    problems.append(f"{url}?{name}= {label}: {response.status_code}")
        grew = _within(before, row_counts(), clean_growth, times=sent)
        if grew:
            problems.append(f"{url}: hostile numbers wrote {grew}")
    expected = {"/incidents/", "/incidents/action-items/", "/audit/", "/metrics/"}
    assert expected <= set(walked), walked
    assert not problems, "\n".join(problems)
