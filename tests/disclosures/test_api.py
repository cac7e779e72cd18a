"""The disclosure REST API from the outside (CONTRACT.md): drafting with disclosures:write,
reading with disclosures:read, 409 for illegal moves, 404 out of sight, and no way at
all to approve or publish with a token."""

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import services
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Approval, Audience, Disclosure, Publication, Regime

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"status", "body", "version", "audience", "regime", "deadlines", "approvals"}


def incident_url(incident):
    return f"/api/v1/incidents/{incident.pk}/disclosures/"


def detail_url(disclosure, action=""):
    return f"/api/v1/disclosures/{disclosure.pk}/{action + '/' if action else ''}"


def test_create_answers_201_with_a_prefilled_draft(token_client, incident, responder):
    client = token_client(responder, "disclosures:write")
    response = client.post(incident_url(incident), {"audience": "regulator", "regime": "nis2"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["status"] == "draft"
    assert body["version"] == 1
    assert "[TO BE CONFIRMED:" in body["body"]
    assert [d["name"] for d in body["deadlines"]] == [
        "nis2_early_warning",
        "nis2_notification",
        "nis2_final_report",
    ]
    assert all(d["due_at"] for d in body["deadlines"])
    assert body["approvals"] == []


def test_create_validates_its_input(token_client, incident, responder):
    client = token_client(responder, "disclosures:write")
    response = client.post(incident_url(incident), {"audience": "users", "status": "approved"})
    assert response.status_code == 400
    assert set(response.json()) - {"request_id"} == {"status"}
    response = client.post(incident_url(incident), {"audience": "press"})
    assert response.status_code == 400
    assert set(response.json()) - {"request_id"} == {"audience"}
    response = client.post(
        incident_url(incident),
        {
            "audience": "users",
            "regime": "gdpr_art34",
            "materiality_determined_at": "2025-07-03T15:00:00Z",
        },
    )
    assert response.status_code == 400
    assert "materiality_determined_at" in response.json()
    assert not Disclosure.objects.exists()


def test_list_and_read(token_client, draft, responder):
    client = token_client(responder, "disclosures:read")
    listing = client.get(incident_url(draft.incident))
    assert listing.status_code == 200
    assert set(listing.json()) >= {"next", "previous", "results"}
    assert [d["id"] for d in listing.json()["results"]] == [draft.pk]
    one = client.get(detail_url(draft)).json()
    assert one["regime"] == "gdpr_art33"
    assert one["deadlines"][0]["name"] == "gdpr_art33_notification"
    assert one["body"] == draft.current_version.body
    assert client.get("/api/v1/disclosures/").json()["results"][0]["id"] == draft.pk


def test_gdpr_art34_deadline_has_no_fixed_time(token_client, incident, responder):
    client = token_client(responder)
    body = client.post(incident_url(incident), {"audience": "users", "regime": "gdpr_art34"}).json()
    assert body["deadlines"][0]["due_at"] is None


@pytest.mark.parametrize(
    ("method", "scope"),
    [("get", "disclosures:write"), ("post", "disclosures:read"), ("post", "incidents:write")],
)
def test_scopes_are_403(token_client, incident, responder, method, scope):
    client = token_client(responder, scope)
    response = getattr(client, method)(incident_url(incident), {"audience": "users"})
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


def test_a_token_of_a_person_who_may_not_draft_is_403(token_client, make_incident, reporter):
    incident = make_incident(reporter=reporter)
    client = token_client(reporter, "disclosures:write")
    assert client.post(incident_url(incident), {"audience": "users"}).status_code == 403


def test_out_of_sight_is_404(token_client, make_incident, make_member, lead):
    incident = make_incident(reporter=lead, restricted=True)
    disclosure = services.disclosure_create(
        incident=incident, actor=lead, audience=Audience.USERS, regime=Regime.NONE
    )
    outsider = make_member(Role.RESPONDER, username="outsider")
    client = token_client(outsider)
    assert client.get(incident_url(incident)).status_code == 404
    assert client.post(incident_url(incident), {"audience": "users"}).status_code == 404
    assert client.get(detail_url(disclosure)).status_code == 404
    assert client.post(detail_url(disclosure, "versions"), {"body": "x"}).status_code == 404
    assert client.get("/api/v1/disclosures/").json()["results"] == []
    assert token_client(lead).get(detail_url(disclosure)).status_code == 200


def test_no_token_is_401(api_client, draft):
    assert api_client.get(detail_url(draft)).status_code == 401


def test_new_version_submit_and_the_409s(token_client, draft, responder):
    client = token_client(responder)
    response = client.post(detail_url(draft, "versions"), {"body": "Second text."})
    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert client.get(detail_url(draft, "versions")).json()["results"][0]["number"] == 2
    assert client.post(detail_url(draft, "submit")).json()["status"] == "in_review"
    before = AuditEvent.objects.count()
    response = client.post(detail_url(draft, "submit"))
    assert response.status_code == 409
    assert "in review" in response.json()["detail"]
    assert AuditEvent.objects.count() == before


def test_published_text_is_frozen_for_the_api(token_client, approved, manager, responder):
    services.disclosure_publish(
        disclosure=approved, actor=manager, channel="portal", recipients="authority"
    )
    client = token_client(responder)
    response = client.post(detail_url(approved, "versions"), {"body": "Rewritten."})
    assert response.status_code == 409
    assert client.post(detail_url(approved, "withdraw")).status_code == 409
    approved.refresh_from_db()
    assert approved.versions.count() == 2  # the prefilled draft, then its blanks filled in
    assert client.get(detail_url(approved)).json()["status"] == "published"


def test_edit_after_approval_voids_it_through_the_api(token_client, approved, responder):
    client = token_client(responder)
    body = client.post(detail_url(approved, "versions"), {"body": "New facts."}).json()
    assert body["status"] == "draft"
    assert body["approvals"][0]["voided_at"] is not None


def test_a_token_cannot_approve_or_publish_by_any_route(token_client, in_review, manager):
    """Even a manager's token with every scope: there is no API route, and the browser
    routes do not accept tokens."""
    client = token_client(manager)
    for path in (
        detail_url(in_review, "approve"),
        detail_url(in_review, "approvals"),
        detail_url(in_review, "publish"),
        f"/api/v1/incidents/{in_review.incident_id}/disclosures/{in_review.pk}/approve/",
    ):
        assert client.post(path, {"sha256": in_review.current_version.sha256}).status_code in (
            404,
            405,
        ), path
    for method in ("patch", "put"):
        response = getattr(client, method)(detail_url(in_review), {"status": "approved"})
        assert response.status_code == 405
    for path in (f"/disclosures/{in_review.pk}/approve/", f"/disclosures/{in_review.pk}/publish/"):
        response = client.post(path, {"channel": "x", "recipients": "y"})
        assert response.status_code in (302, 401, 403)
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.IN_REVIEW
    assert not Approval.objects.exists()
    assert not Publication.objects.exists()


def test_the_schema_lists_no_approve_or_publish_operation(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"] if schema.status_code == 200 else {}
    assert "/api/v1/incidents/{incident_pk}/disclosures/" in paths
    assert not [p for p in paths if "approv" in p or "publish" in p]
