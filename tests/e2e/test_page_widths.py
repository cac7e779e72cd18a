"""No page is wider than the window: long names, paths, URLs, hashes and texts wrap or
break, and wide tables scroll inside their card. Each page, filled with realistic long
content, is checked at 1366 and 768 px (tests.e2e.helpers.assert_fits_the_window; the
incident page has its own test with the same helper)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from accounts.services import api_token_issue, member_save
from disclosures import services as disclosure_services
from evidence import services as evidence_services
from incidents import services as incident_services
from incidents.lifecycle import ORDER, Status
from incidents.models import ReviewSectionKind
from notifications.services import webhook_endpoint_create
from tests.e2e.helpers import PASSWORD, assert_fits_the_window, received_evidence, sign_in
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "memory-dump_" + "mail-gateway-01.corp.example.org_" * 5 + "2026-11-28T22-10-00Z.raw"
LONG_PATH = "/var/lib/docker/overlay2/" + "a1b2c3d4e5f6" * 12 + "/merged/tmp/.cache/implant"
LONG_URL = "https://intranet.example.org/wiki/incidents/" + "phishing-campaign-" * 12 + "notes"
LONG_WORD = "Base64:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 8
LONG_TEXT = (
    "The attacker reached the payroll export through the VPN of a contractor. "
    f"Details are in {LONG_URL}; the token they used was {LONG_WORD}. " * 3
)


@pytest.fixture
def long_content(settings, tmp_path):
    """A lead, and an incident in review whose every part holds long content."""
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lead, _ = member_save(
        actor=None,
        username="lea-" + "x" * 40,
        role=Role.LEAD,
        password=PASSWORD,
        email="lea." + "security-operations-" * 5 + "@example.org",
    )
    device = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True)
    manager, _ = member_save(actor=None, username="mona", role=Role.MANAGER, password=PASSWORD)
    incident = IncidentFactory(
        reporter=lead,
        title="Payroll export reached through a contractor's VPN " + "x" * 60,
        description=LONG_TEXT,
        discovery_method=LONG_TEXT,
        data_categories=["pii", "financial"],
    )
    incident_services.system_add(
        incident=incident, actor=lead, name="payroll-db-" + "replica-" * 10, kind="database"
    )
    incident_services.task_add(
        incident=incident,
        actor=lead,
        title=("Rotate every key in " + LONG_PATH)[:200],
        assignee=lead,
        due_date=timezone.localdate(),
    )
    item = received_evidence(
        incident,
        lead,
        b"MZ" + b"\x00" * 4000,
        name=LONG_NAME,
        description=LONG_TEXT,
        source_host="mail-gateway-01." + "subdomain." * 8 + "example.org",
        source_path=LONG_PATH,
        sender_sha256="0" * 64,
    )
    evidence_services.evidence_transfer(
        item=item, actor=lead, recipient="Forensic lab " + "x" * 100, reason=LONG_TEXT
    )
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    body = disclosure.current_version.body
    disclosure_services.disclosure_edit(
        disclosure=disclosure, actor=lead, body=body + "\n" + LONG_TEXT + "\n" + LONG_WORD + "\n"
    )
    disclosure_services.disclosure_edit(
        disclosure=disclosure,
        actor=lead,
        body=body.replace("What happened", "What happened " + LONG_WORD) + "\n" + LONG_URL,
    )
    for status in ORDER[1 : ORDER.index(Status.REVIEW) + 1]:
        incident_services.incident_change_status(incident=incident, actor=lead, status=status)
    review = incident.review
    section = review.sections.get(kind=ReviewSectionKind.AUTHENTICATION)
    incident_services.review_section_update(section=section, actor=lead, body=LONG_TEXT)
    incident_services.finding_add(section=section, actor=lead, body=LONG_TEXT)
    incident_services.action_item_add(
        section=section,
        actor=lead,
        title="Require a second factor on " + "every-contractor-vpn-profile-" * 4,
        owner=lead,
        due_date=timezone.localdate(),
        ticket_url=LONG_URL,
    )
    api_token_issue(actor=lead, user=lead, name="ci-" + "pipeline-" * 8, scopes=["incidents:read"])
    webhook_endpoint_create(
        name="SIEM " + "forwarder " * 6,
        url="https://93.184.215.14/hooks/" + "a" * 120,
        events=["incident.filed"],
        created_by=lead,
    )
    return lead, device, incident, item, disclosure, manager


def test_pages_with_long_content_fit_the_window(page, long_content):
    lead, device, incident, item, disclosure, _ = long_content
    sign_in(page, lead.username, device, next_path="/")
    for path in [
        f"/evidence/{item.pk}/",
        f"/disclosures/{disclosure.pk}/",
        f"/disclosures/{disclosure.pk}/?older=1&newer=3#section-versions",
        f"/incidents/{incident.pk}/report/",
        f"/incidents/{incident.pk}/review/",
        "/",
        "/metrics/",
        "/incidents/action-items/",
        "/accounts/security/",
        "/accounts/members/",
        "/disclosures/templates/",
        "/webhooks/",
    ]:
        assert_fits_the_window(page, path)
