"""/incidents/<pk>/report/: the printable incident report, who may generate it, and its
audit record."""

import hashlib

import pytest
from django.urls import resolve, reverse

from audit.models import AuditEvent
from disclosures import services as disclosure_services
from incidents import services as incident_services
from tests.conftest import sign_in
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db

EVIDENCE_BYTES = b"memory image of web-01\x00\x01"


def report_url(incident) -> str:
    return f"/incidents/{incident.pk}/report/"


@pytest.fixture
def full_case(lead, manager, incident, store_evidence, make_action_item):
    """The shared incident with a verified evidence item, an approved and published
    disclosure, an affected system, a task and a review action item."""
    item = store_evidence(incident, lead, EVIDENCE_BYTES)
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    fill_blanks(disclosure, lead)
    disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
    approval = disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    incident_services.system_add(incident=incident, actor=lead, name="web-01")
    make_action_item(incident, lead, title="Turn on MFA for the VPN")
    return {"item": item, "disclosure": disclosure, "approval": approval}


def test_the_report_path_resolves_to_the_dashboard_before_the_incident_pages(incident):
    assert reverse("dashboard:incident_report", args=[incident.pk]) == report_url(incident)
    assert resolve(report_url(incident)).view_name == "dashboard:incident_report"


def test_the_report_holds_evidence_hashes_and_the_approved_version_hash(
    client, lead, manager, incident, full_case
):
    item, approval = full_case["item"], full_case["approval"]
    sign_in(client, lead)
    response = client.get(report_url(incident))
    assert response.status_code == 200
    page = response.content.decode()
    assert item.status == "verified"
    assert item.sha256 == hashlib.sha256(EVIDENCE_BYTES).hexdigest()
    for digest in (item.sha256, item.sha1, item.md5):
        assert digest in page
    assert hashlib.md5(EVIDENCE_BYTES).hexdigest() in page  # noqa: S324 - evidence manifest
    assert approval.version.sha256 in page
    assert approval.body_sha256 == approval.version.sha256
    assert manager.get_username() in page  # who approved
    assert "Custody events</dt><dd>" in page
    assert "web-01" in page
    assert "Turn on MFA for the VPN" in page
    assert incident.reference in page
    assert 'style="' not in page


def test_generating_the_report_is_audited(client, auditor, incident, full_case):
    sign_in(client, auditor)
    before = AuditEvent.objects.filter(action="incident.report_generated").count()
    assert client.get(report_url(incident)).status_code == 200
    event = AuditEvent.objects.filter(action="incident.report_generated").latest("id")
    assert AuditEvent.objects.filter(action="incident.report_generated").count() == before + 1
    assert event.actor_id == auditor.pk
    assert (event.target_type.model, event.target_id) == ("incident", str(incident.pk))
    assert event.data["reference"] == incident.reference
    assert event.data["sections"]["evidence"] == 1
    assert event.data["sections"]["disclosures"] == 1
    assert event.data["sections"]["action_items"] == 1


@pytest.mark.parametrize("role", ["lead", "manager", "legal", "auditor"])
def test_leads_managers_legal_and_auditors_may_generate_it(client, make_member, incident, role):
    sign_in(client, make_member(role, username=f"{role}-reader"))
    assert client.get(report_url(incident)).status_code == 200


def test_responders_are_refused_and_nothing_is_audited(client, responder, incident):
    sign_in(client, responder)
    response = client.get(report_url(incident))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="incident.report_generated").exists()


def test_reporters_are_refused_on_their_own_filing_and_see_nothing_of_others(
    client, reporter, make_incident, incident
):
    own = make_incident(reporter=reporter)
    sign_in(client, reporter)
    assert client.get(report_url(own)).status_code == 403
    assert client.get(report_url(incident)).status_code == 404


def test_an_incident_out_of_sight_is_404_even_for_a_report_role(
    client, lead, manager, make_incident
):
    secret = make_incident(reporter=lead, restricted=True)
    sign_in(client, manager)
    assert client.get(report_url(secret)).status_code == 404
    assert client.get("/incidents/999999/report/").status_code == 404
    assert not AuditEvent.objects.filter(action="incident.report_generated").exists()
    # On the crew, the same manager may read it.
    incident_services.crew_add(incident=secret, actor=lead, user=manager)
    assert client.get(report_url(secret)).status_code == 200


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_report_link_on_another_site_is_refused_and_not_audited(client, lead, incident, site):
    """Generating the report writes `incident.report_generated`: a link elsewhere must
    not write it in the name of whoever follows it (issue 14). The refusal links to
    the report, so a person who meant it continues from Cordon's own page."""
    sign_in(client, lead)
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    response = client.get(report_url(incident), headers=headers)
    assert response.status_code == 403
    assert incident.title not in response.content.decode()
    assert f'href="{report_url(incident)}"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="incident.report_generated").exists()
    same_origin = {**headers, "Sec-Fetch-Site": "same-origin"}
    assert client.get(report_url(incident), headers=same_origin).status_code == 200
    assert AuditEvent.objects.filter(action="incident.report_generated").count() == 1


def test_the_report_needs_a_signed_in_person(client, incident):
    assert client.get(report_url(incident)).status_code == 302


def test_other_pages_can_ask_whether_to_offer_the_report(make_member):
    from django.template import Context, Template

    template = Template(
        "{% load dashboard %}{% if user|may_generate_incident_report %}yes{% endif %}"
    )
    assert template.render(Context({"user": make_member("legal", username="l2")})) == "yes"
    assert template.render(Context({"user": make_member("responder", username="r2")})) == ""


def test_the_report_runs_the_same_queries_for_more_evidence_and_disclosures(
    client, lead, manager, incident, full_case, store_evidence
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, lead)
    client.get(report_url(incident))
    with CaptureQueriesContext(connection) as few:
        client.get(report_url(incident))
    for number in range(3):
        store_evidence(incident, lead, f"more {number}".encode())
        disclosure = disclosure_services.disclosure_create(
            incident=incident, actor=lead, audience="users", regime="gdpr_art34"
        )
        fill_blanks(disclosure, lead)
        disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
        disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
        disclosure_services.disclosure_publish(
            disclosure=disclosure, actor=manager, channel="e-mail", recipients="customers"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(report_url(incident)).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(("role_fixture", "offered"), [("lead", True), ("responder", False)])
def test_the_incident_page_offers_the_report_to_those_who_may_generate_it(
    client, request, incident, role_fixture, offered
):
    sign_in(client, request.getfixturevalue(role_fixture))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert (f'href="{report_url(incident)}"' in page) is offered


def test_a_version_whose_approval_was_voided_is_not_shown_as_approved(
    client, lead, manager, incident
):
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    fill_blanks(disclosure, lead)
    disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    disclosure.refresh_from_db()
    disclosure_services.disclosure_edit(disclosure=disclosure, actor=lead, body="Corrected text")
    sign_in(client, lead)
    report = client.get(report_url(incident)).context["report"]
    (row,) = report.disclosures
    assert len(row.approvals) == 1 and row.approvals[0].voided_at is not None
    assert row.approved_version_ids == set()
