"""The shared text and date rules (core.text, core.dates), walked through every place
that takes short text or an event time: the REST API and the browser forms refuse a
bidirectional override (U+202E), a zero-width space (U+200B), a NUL, and the year
0001, each with an error naming the field, and write nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.models import ApiToken, User
from audit.models import AuditEvent
from disclosures import services as disclosure_services
from disclosures.models import Audience, Disclosure, Publication, Regime
from evidence.models import EvidenceItem
from incidents import services as incident_services
from incidents.models import (
    ActionItem,
    AffectedSystem,
    ContainmentChange,
    Finding,
    Incident,
    ReviewSectionKind,
    Task,
    TimelineEntry,
)
from tests.conftest import sign_in
from tests.evidence.conftest import multipart
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = {
    "U+202E": "Invoice \u202egpj.exe",
    "U+200B": "ad\u200bmin",
    "NUL": "a\x00b",
}
YEAR_0001 = {"api": "0001-01-01T00:00:00Z", "browser": "0001-01-01T00:00", "date": "0001-01-01"}
LATER = (timezone.now() + dt.timedelta(days=14)).date().isoformat()


@dataclass
class World:
    """Everything the cases write to: a lead in a browser and with a token."""

    browser: object
    api: object
    lead: User
    incident: Incident
    system: AffectedSystem
    section: object
    item: ActionItem
    disclosure: Disclosure


@pytest.fixture
def world(client, token_client, lead, manager, responder, vault_for_rules):
    incident = incident_services.incident_file(reporter=lead, title="Phishing", severity="high")
    system = incident_services.system_add(incident=incident, actor=lead, name="mail-01")
    review = incident_services.review_start(incident=incident, actor=lead)
    section = review.sections.get(kind=ReviewSectionKind.AUTHENTICATION)
    item = incident_services.action_item_add(
        section=section, actor=lead, title="Rotate keys", owner=lead, due_date=dt.date.today()
    )
    draft = disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.NONE
    )
    fill_blanks(draft, responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=responder)
    disclosure_services.disclosure_approve(disclosure=draft, actor=manager)
    sign_in(client, lead)
    return World(
        browser=client,
        api=token_client(lead),
        lead=lead,
        incident=incident,
        system=system,
        section=section,
        item=item,
        disclosure=draft,
    )


@pytest.fixture
def vault_for_rules(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"


@dataclass(frozen=True)
class Case:
    """One field of one form or endpoint: how to send a value, where it would be written."""

    name: str
    field: str
    send: Callable[[World, str], object]
    model: type
    via: str  # "api" or "browser"


def _api_incident(w, **fields):
    return w.api.post("/api/v1/incidents/", {"title": "Ok", "severity": "low", **fields})


def _api_patch(w, **fields):
    return w.api.patch(f"/api/v1/incidents/{w.incident.pk}/", fields, format="json")


def _api_evidence(w, **fields):
    body, content_type = multipart(fields, filename="x.log", content=b"log line\n")
    return w.api.generic(
        "POST", f"/api/v1/incidents/{w.incident.pk}/evidence/", body, content_type=content_type
    )


def _browser_incident(w, **fields):
    return w.browser.post("/incidents/new/", {"title": "Ok", "severity": "low", **fields})


def _post(path: str, **defaults):
    def send(w, **fields):
        return w.browser.post(path.format(w=w), {**defaults, **fields})

    return send


def _browser_evidence(w, **fields):
    body, content_type = multipart(
        {"kind": "log", **fields}, filename="x.log", content=b"log line\n"
    )
    return w.browser.generic(
        "POST", f"/evidence/incidents/{w.incident.pk}/upload/", body, content_type=content_type
    )


_timeline = _post("/incidents/{w.incident.pk}/timeline/", kind="note", body="Seen")
_system = _post("/incidents/{w.incident.pk}/systems/", name="web-01", kind="server")
_containment = _post(
    "/incidents/{w.incident.pk}/systems/{w.system.pk}/containment/", state="isolated"
)
_task = _post("/incidents/{w.incident.pk}/tasks/", title="Reset passwords")
_status = _post("/incidents/{w.incident.pk}/status/", status="triage")
_finding = _post("/incidents/{w.incident.pk}/review/sections/{w.section.pk}/findings/")
_item = _post(
    "/incidents/{w.incident.pk}/review/sections/{w.section.pk}/action-items/",
    title="Turn on MFA",
    owner="lea",
    due_date=LATER,
)
_item_edit = _post(
    "/incidents/{w.incident.pk}/review/action-items/{w.item.pk}/edit/", owner="lea", due_date=LATER
)
_publish = _post("/disclosures/{w.disclosure.pk}/publish/", channel="portal", recipients="DPA")
_new_disclosure = _post("/disclosures/new/{w.incident.pk}/", audience="regulator", regime="sec_8k")
_token = _post("/accounts/security/tokens/", name="backup script", scopes="incidents:read")
_invite = _post("/accounts/members/invite/", email="new@example.org", role="responder")


def _text(name, field, model, via, send):
    return [
        pytest.param(
            Case(name, field, lambda w, v, s=send, f=field: s(w, **{f: v}), model, via),
            value,
            id=f"{name}-{field}-{label}",
        )
        for label, value in HOSTILE_TEXT.items()
    ]


def _date(name, field, model, via, send, *, kind=None):
    value = YEAR_0001[kind or via]
    return [
        pytest.param(
            Case(name, field, lambda w, v, s=send, f=field: s(w, **{f: v}), model, via),
            value,
            id=f"{name}-{field}-year-0001",
        )
    ]


CASES = [
    # The REST API
    *_text("api-incident", "title", Incident, "api", _api_incident),
    *_text("api-incident", "discovery_method", Incident, "api", _api_incident),
    *_text("api-incident", "description", Incident, "api", _api_incident),
    *_text(
        "api-incident",
        "attack_vectors",
        Incident,
        "api",
        lambda w, attack_vectors: _api_incident(w, attack_vectors=[attack_vectors]),
    ),
    *_date("api-incident", "occurred_at", Incident, "api", _api_incident),
    *_date("api-incident", "discovered_at", Incident, "api", _api_incident),
    *_date("api-incident", "aware_at", Incident, "api", _api_incident),
    *_text("api-incident-patch", "title", Incident, "api", _api_patch),
    *_date("api-incident-patch", "occurred_at", Incident, "api", _api_patch),
    *_text(
        "api-incident-status",
        "reason",
        TimelineEntry,
        "api",
        lambda w, reason: _api_patch(w, status="triage", reason=reason),
    ),
    *_text("api-evidence", "source_host", EvidenceItem, "api", _api_evidence),
    *_text("api-evidence", "description", EvidenceItem, "api", _api_evidence),
    *_date("api-evidence", "collected_at", EvidenceItem, "api", _api_evidence),
    *_date(
        "api-disclosure",
        "materiality_determined_at",
        Disclosure,
        "api",
        lambda w, materiality_determined_at: w.api.post(
            f"/api/v1/incidents/{w.incident.pk}/disclosures/",
            {
                "audience": "regulator",
                "regime": "sec_8k",
                "materiality_determined_at": materiality_determined_at,
            },
        ),
    ),
    # The browser forms
    *_text("incident-new", "title", Incident, "browser", _browser_incident),
    *_text("incident-new", "discovery_method", Incident, "browser", _browser_incident),
    *_text("incident-new", "description", Incident, "browser", _browser_incident),
    *_text("incident-new", "attack_vectors", Incident, "browser", _browser_incident),
    *_date("incident-new", "occurred_at", Incident, "browser", _browser_incident),
    *_date("incident-new", "aware_at", Incident, "browser", _browser_incident),
    *_text("timeline", "body", TimelineEntry, "browser", _timeline),
    *_date("timeline", "occurred_at", TimelineEntry, "browser", _timeline),
    *_text("status", "reason", TimelineEntry, "browser", _status),
    *_text("system", "name", AffectedSystem, "browser", _system),
    *_text("system", "owner", AffectedSystem, "browser", _system),
    *_date("system", "impact_start", AffectedSystem, "browser", _system),
    *_date("system", "impact_end", AffectedSystem, "browser", _system),
    *_text("containment", "note", ContainmentChange, "browser", _containment),
    *_text("task", "title", Task, "browser", _task),
    *_date("task", "due_date", Task, "browser", _task, kind="date"),
    *_text("finding", "body", Finding, "browser", _finding),
    *_text("action-item", "title", ActionItem, "browser", _item),
    *_text(
        "action-item",
        "ticket_url",
        ActionItem,
        "browser",
        lambda w, ticket_url: _item(w, ticket_url=f"https://tracker.example/{ticket_url}"),
    ),
    *_date("action-item", "due_date", ActionItem, "browser", _item, kind="date"),
    *_date("action-item-edit", "due_date", ActionItem, "browser", _item_edit, kind="date"),
    *_text("publish", "channel", Publication, "browser", _publish),
    *_text("publish", "recipients", Publication, "browser", _publish),
    *_date("disclosure-new", "materiality_determined_at", Disclosure, "browser", _new_disclosure),
    *_text("evidence", "source_host", EvidenceItem, "browser", _browser_evidence),
    *_text("evidence", "description", EvidenceItem, "browser", _browser_evidence),
    *_date("evidence", "collected_at", EvidenceItem, "browser", _browser_evidence),
    *_text("token", "name", ApiToken, "browser", _token),
    *_text("member-invite", "username", User, "browser", _invite),
]


def _forms_in(value, depth=0):
    """Every bound form in a template context value (lists and dicts of them too)."""
    if isinstance(value, forms.BaseForm):
        yield value
    elif depth < 3 and isinstance(value, list | tuple):
        for element in value:
            yield from _forms_in(element, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for element in value.values():
            yield from _forms_in(element, depth + 1)


def _browser_errors(response) -> dict[str, list[str]]:
    """The field errors the page shows: from its bound forms, or (the evidence upload,
    which goes back to the incident page) from the messages, as "Field: message"."""
    errors: dict[str, list[str]] = {}
    if response.context is not None:
        for context in response.context:
            for value in context.flatten().values():
                for form in _forms_in(value):
                    if form.is_bound:
                        for name, messages in form.errors.items():
                            errors.setdefault(name, []).extend(messages)
    for message in get_messages(response.wsgi_request):
        field, _, text = str(message).partition(": ")
        errors.setdefault(field, []).append(text)
    return errors


def _rows(model) -> int:
    return model._base_manager.count()


def _domain_events() -> int:
    """Audit events other than the record of a refused request (http.400 and the like)."""
    return AuditEvent.objects.exclude(action__startswith="http.").count()


@pytest.mark.parametrize(("case", "value"), CASES)
def test_the_field_is_refused_by_name_and_nothing_is_written(world, case, value):
    before = _rows(case.model), _domain_events()

    response = case.send(world, value)

    if case.via == "api":
        assert response.status_code == 400, response.content
        assert case.field in response.json(), response.json()
    else:
        # The evidence upload too: its page again, each error at its field (422).
        assert response.status_code == 422, response.status_code
        errors = _browser_errors(response)
        assert case.field in errors, errors
    assert (_rows(case.model), _domain_events()) == before
