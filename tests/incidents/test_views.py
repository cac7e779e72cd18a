"""The incident pages through HTTP: need-to-know, filing, the lifecycle and every section's
writes, with and without htmx, and the page hygiene a strict CSP will demand."""

import datetime as dt
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.roles import Role
from incidents import services
from incidents.models import (
    AffectedSystem,
    ContainmentChange,
    CrewMember,
    CrewRole,
    EntryKind,
    Incident,
    Task,
    TimelineEntry,
)
from incidents.views import listing as listing_views
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
UNPROCESSABLE = 422
CONFLICT = 409


# --- Helpers ---------------------------------------------------------------------


class PageAudit(HTMLParser):
    """Collects what a strict Content-Security-Policy would break, and POST forms without CSRF."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.post_forms = []
        self._in_inline_script = False
        self._open_form = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"inline handler <{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if not attributes.get("src"):
                self.problems.append("<script> without src")
            self._in_inline_script = True
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            self._open_form = {"action": attributes.get("action"), "csrf": False}
            self.post_forms.append(self._open_form)
        if tag == "input" and attributes.get("name") == "csrfmiddlewaretoken" and self._open_form:
            self._open_form["csrf"] = bool(attributes.get("value"))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False
        if tag == "form":
            self._open_form = None

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append("inline <script> content")


def audit_page(response) -> PageAudit:
    page = PageAudit()
    page.feed(response.content.decode())
    page.close()
    return page


def assert_csp_safe(response):
    page = audit_page(response)
    assert page.problems == []
    assert all(form["csrf"] for form in page.post_forms), page.post_forms
    return page


def text(response) -> str:
    return response.content.decode()


def detail(incident) -> str:
    return f"/incidents/{incident.pk}/"


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


@pytest.fixture
def responder_client(client, responder):
    sign_in(client, responder)
    return client


# --- Access ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/incidents/", "/incidents/new/", "/incidents/1/"])
def test_pages_send_anonymous_people_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_anonymous_htmx_post_is_sent_to_login_as_a_whole_page(client, incident):
    response = client.post(
        f"{detail(incident)}status/",
        {"status": "triage"},
        HTTP_HX_CURRENT_URL=f"http://testserver{detail(incident)}",
        **HTMX,
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next={detail(incident)}"
    incident.refresh_from_db()
    assert incident.status == "new"


@pytest.mark.parametrize(
    "suffix",
    ["status/", "timeline/", "systems/", "crew/", "tasks/"],
)
def test_write_urls_refuse_get(lead_client, incident, suffix):
    assert lead_client.get(f"{detail(incident)}{suffix}").status_code == 405


def test_list_and_detail_refuse_post(lead_client, incident):
    assert lead_client.post("/incidents/").status_code == 405
    assert lead_client.post(detail(incident)).status_code == 405


# --- The list -------------------------------------------------------------------


def test_list_hides_a_restricted_incident_from_a_responder_not_on_its_crew(
    client, lead, responder, make_incident
):
    secret = make_incident(reporter=lead, restricted=True, title="Board member mailbox")
    open_case = make_incident(reporter=lead, title="Defaced status page")

    sign_in(client, responder)
    body = text(client.get("/incidents/"))
    assert open_case.reference in body
    assert secret.reference not in body
    assert "Board member mailbox" not in body

    sign_in(client, lead)
    body = text(client.get("/incidents/"))
    assert secret.reference in body
    assert "Board member mailbox" in body


def test_list_shows_a_restricted_incident_to_its_crew(client, lead, responder, make_incident):
    secret = make_incident(reporter=lead, restricted=True)
    services.crew_add(incident=secret, actor=lead, user=responder)
    sign_in(client, responder)
    assert secret.reference in text(client.get("/incidents/"))


def test_reporter_lists_only_what_they_filed(client, reporter, make_member, make_incident):
    other_reporter = make_member(Role.REPORTER)
    own = make_incident(reporter=reporter, title="My laptop was stolen")
    other = make_incident(reporter=other_reporter, title="Someone else's phishing mail")
    sign_in(client, reporter)
    body = text(client.get("/incidents/"))
    assert own.reference in body
    assert other.reference not in body


def test_list_shows_the_columns(lead_client, incident):
    body = text(lead_client.get("/incidents/"))
    for value in (incident.reference, incident.title, "High", "New", "rick"):
        assert value in body
    assert f"{incident.aware_at:%Y-%m-%d %H:%M} UTC" in body


def test_list_filters_by_status_and_severity(lead_client, lead, make_incident):
    low = make_incident(reporter=lead, severity="low", title="Low one")
    critical = make_incident(reporter=lead, severity="critical", title="Critical one")
    services.incident_change_status(incident=critical, actor=lead, status="triage")

    body = text(lead_client.get("/incidents/", {"severity": "low"}))
    assert low.reference in body and critical.reference not in body

    body = text(lead_client.get("/incidents/", {"status": "triage"}))
    assert critical.reference in body and low.reference not in body

    body = text(lead_client.get("/incidents/", {"status": "triage", "severity": "low"}))
    assert low.reference not in body and critical.reference not in body
    assert "No incidents match these filters." in body


def test_list_searches_title_description_and_reference(lead_client, lead, make_incident):
    web = make_incident(reporter=lead, title="Web shell on intranet")
    mail = make_incident(reporter=lead, title="Odd mail", description="Invoice with a macro")

    body = text(lead_client.get("/incidents/", {"q": "web shell"}))
    assert web.reference in body and mail.reference not in body

    body = text(lead_client.get("/incidents/", {"q": "macro"}))
    assert mail.reference in body and web.reference not in body

    body = text(lead_client.get("/incidents/", {"q": web.reference}))
    assert web.reference in body and mail.reference not in body


def test_a_bad_filter_value_is_reported_and_ignored(lead_client, incident):
    response = lead_client.get("/incidents/", {"severity": "apocalyptic", "status": "new"})
    assert response.status_code == 400
    body = text(response)
    assert "Some filters were not understood" in body
    assert "apocalyptic is not one of the available choices" in body
    # The valid filter still applies, the bad one is ignored: the incident is listed.
    assert incident.reference in body


def test_list_paginates_and_keeps_the_filters(lead_client, lead, make_incident, monkeypatch):
    monkeypatch.setattr(listing_views, "INCIDENTS_PER_PAGE", 2)
    made = [make_incident(reporter=lead, severity="low") for _ in range(3)]
    make_incident(reporter=lead, severity="high")

    first = text(lead_client.get("/incidents/", {"severity": "low"}))
    assert "page 1 of 2" in first
    assert made[2].reference in first and made[1].reference in first
    assert made[0].reference not in first
    assert "?severity=low&amp;page=2" in first

    second = text(lead_client.get("/incidents/", {"severity": "low", "page": "2"}))
    assert made[0].reference in second and made[2].reference not in second

    # A page number that is not a number gives the first page, not an error.
    assert lead_client.get("/incidents/", {"page": "lots"}).status_code == 200


def test_list_has_an_empty_state(lead_client):
    body = text(lead_client.get("/incidents/"))
    assert "There are no incidents you can see yet." in body


# --- Filing ---------------------------------------------------------------------


def test_new_incident_page_is_403_without_add_incident(client, manager):
    sign_in(client, manager)
    assert client.get("/incidents/new/").status_code == 403
    response = client.post("/incidents/new/", {"title": "Mine", "severity": "low"})
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_navigation_offers_new_incident_only_to_those_who_may_file(client, manager, reporter):
    sign_in(client, manager)
    assert 'href="/incidents/new/"' not in text(client.get("/incidents/"))
    sign_in(client, reporter)
    assert 'href="/incidents/new/"' in text(client.get("/incidents/"))


def test_filing_creates_one_incident_and_redirects_to_it(responder_client, responder):
    response = responder_client.post(
        "/incidents/new/",
        {
            "title": "Ransom note on file server",
            "severity": "critical",
            "description": "Files renamed to .locked",
            "occurred_at": "2025-03-01T08:00",
            "discovered_at": "2025-03-01T09:15",
            "aware_at": "2025-03-01T10:30",
            "discovery_method": "Helpdesk call",
            "attack_vectors": "phishing, RDP brute force, ,phishing",
            "data_categories": ["pii", "financial"],
            "estimated_affected_people": "1200",
            "restricted": "on",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(incident)
    assert incident.reporter == responder
    assert incident.title == "Ransom note on file server"
    assert incident.severity == "critical"
    assert incident.status == "new"
    assert incident.aware_at == dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.UTC)
    assert incident.occurred_at == dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert incident.attack_vectors == ["phishing", "RDP brute force"]
    assert incident.data_categories == ["pii", "financial"]
    assert incident.estimated_affected_people == 1200
    assert incident.restricted is True
    assert incident.discovery_method == "Helpdesk call"

    page = responder_client.get(response["Location"])
    assert f"{incident.reference} was filed." in text(page)


def test_filing_without_aware_at_starts_the_clock_now(client, reporter):
    sign_in(client, reporter)
    before = dt.datetime.now(dt.UTC)
    client.post("/incidents/new/", {"title": "Lost badge", "severity": "low", "aware_at": ""})
    incident = Incident.objects.get()
    assert before - dt.timedelta(seconds=1) <= incident.aware_at <= dt.datetime.now(dt.UTC)


def test_the_filing_form_defaults_aware_at_to_now(responder_client):
    # The clock stands still: the page and the check read the same minute, even at
    # the turn of an hour.
    moment = dt.datetime.now(dt.UTC)
    with time_machine.travel(moment, tick=False):
        body = text(responder_client.get("/incidents/new/"))
    assert f'name="aware_at" value="{moment:%Y-%m-%dT%H:%M}' in body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "severity": "high"}, "title"),
        ({"title": "x" * 201, "severity": "high"}, "title"),
        ({"title": "Fine", "severity": "apocalyptic"}, "severity"),
        ({"title": "Fine", "severity": "high", "aware_at": "2999-01-01T00:00"}, "aware_at"),
        ({"title": "Fine", "severity": "high", "aware_at": "yesterday"}, "aware_at"),
        (
            {
                "title": "Fine",
                "severity": "high",
                "occurred_at": "2025-03-02T00:00",
                "discovered_at": "2025-03-01T00:00",
            },
            "discovered_at",
        ),
        ({"title": "Fine", "severity": "high", "data_categories": ["gossip"]}, "data_categories"),
        ({"title": "Fine", "severity": "high", "attack_vectors": "x" * 101}, "attack_vectors"),
        ({"title": "Fine", "severity": "high", "estimated_affected_people": "-3"}, None),
    ],
)
def test_invalid_filing_creates_nothing_and_marks_the_field(responder_client, data, field):
    field = field or "estimated_affected_people"
    response = responder_client.post("/incidents/new/", data)
    assert response.status_code == UNPROCESSABLE
    assert not Incident.objects.exists()
    body = text(response)
    assert f'id="id_{field}_error"' in body
    assert 'aria-invalid="true"' in body
    assert "Please correct the marked fields." in body


def test_invalid_filing_keeps_what_was_typed(responder_client):
    response = responder_client.post(
        "/incidents/new/", {"title": "", "severity": "high", "description": "Keep me"}
    )
    assert "Keep me" in text(response)


def test_filing_shows_the_services_validation_errors_on_the_form(responder_client, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError(
            {"title": ["A title the service refuses."], "reference": ["No numbers left."]}
        )

    monkeypatch.setattr(services, "incident_file", refuse)
    response = responder_client.post("/incidents/new/", {"title": "Fine", "severity": "low"})
    assert response.status_code == UNPROCESSABLE
    body = text(response)
    assert "A title the service refuses." in body
    assert "No numbers left." in body


# --- Detail and need-to-know ------------------------------------------------------


def test_reporter_cannot_open_another_reporters_incident(
    client, reporter, make_member, make_incident
):
    theirs = make_incident(reporter=make_member(Role.REPORTER))
    mine = make_incident(reporter=reporter)
    sign_in(client, reporter)
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(detail(mine)).status_code == 200


@pytest.mark.parametrize("who", ["responder", "manager"])
def test_restricted_incident_is_404_for_non_crew(client, request, lead, make_incident, who):
    secret = make_incident(reporter=lead, restricted=True)
    sign_in(client, request.getfixturevalue(who))
    assert client.get(detail(secret)).status_code == 404
    # Its sections' URLs give nothing away either.
    assert client.post(f"{detail(secret)}status/", {"status": "triage"}).status_code == 404
    assert client.post(f"{detail(secret)}timeline/", {"body": "x"}).status_code == 404


def test_restricted_incident_opens_for_lead_and_crew(client, lead, responder, make_incident):
    secret = make_incident(reporter=lead, restricted=True)
    sign_in(client, lead)
    assert client.get(detail(secret)).status_code == 200
    services.crew_add(incident=secret, actor=lead, user=responder)
    sign_in(client, responder)
    assert client.get(detail(secret)).status_code == 200


def test_missing_incident_is_404(lead_client):
    assert lead_client.get("/incidents/999999/").status_code == 404


def test_detail_shows_every_fact(lead_client, lead):
    incident = services.incident_file(
        reporter=lead,
        title="Card skimmer in checkout",
        severity="critical",
        description="Injected script",
        aware_at=dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.UTC),
        discovery_method="Customer complaints",
        attack_vectors=["supply chain", "CDN compromise"],
        data_categories=["payment_cards"],
        estimated_affected_people=420,
        restricted=True,
    )
    for status in ("triage", "containment", "eradication"):
        services.incident_change_status(incident=incident, actor=lead, status=status)
    incident.refresh_from_db()
    body = text(lead_client.get(detail(incident)))
    for fact in (
        incident.reference,
        "Card skimmer in checkout",
        "Injected script",
        "2025-03-01 10:30 UTC",
        f"{incident.contained_at:%Y-%m-%d %H:%M} UTC",
        "Customer complaints",
        "supply chain",
        "CDN compromise",
        "Payment card data",
        "420",
        "Restricted",
        "Critical severity",
        "Eradication",
    ):
        assert fact in body, fact
    assert "Resolved at" in body and "Not yet" in body


def test_manager_sees_no_forms_and_a_status_post_is_403(client, manager, incident):
    sign_in(client, manager)
    page = client.get(detail(incident))
    assert page.status_code == 200
    body = text(page)
    for action in ("status/", "timeline/", "systems/", "crew/", "tasks/"):
        assert f'action="{detail(incident)}{action}"' not in body
    response = client.post(f"{detail(incident)}status/", {"status": "triage"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "new"
    assert client.post(f"{detail(incident)}systems/", {"name": "db1"}).status_code == 403
    assert not AffectedSystem.objects.exists()


def test_lead_sees_every_form(lead_client, incident):
    body = text(lead_client.get(detail(incident)))
    for action in ("status/", "timeline/", "systems/", "crew/", "tasks/"):
        assert f'action="{detail(incident)}{action}"' in body


# --- Status -----------------------------------------------------------------------


def test_status_change_forward_works_and_writes_a_timeline_entry(lead_client, incident):
    response = lead_client.post(f"{detail(incident)}status/", {"status": "triage"})
    assert response.status_code == 302
    assert response["Location"] == f"{detail(incident)}#section-status"
    incident.refresh_from_db()
    assert incident.status == "triage"
    entry = incident.timeline.filter(kind=EntryKind.STATUS_CHANGE).last()
    assert entry.body == "Status changed from New to Triage."
    page = text(lead_client.get(detail(incident)))
    assert "Status changed from New to Triage." in page
    assert "Status changed to Triage." in page  # the confirmation message


def test_status_form_offers_only_the_allowed_next_statuses(lead_client, lead, incident):
    services.incident_change_status(incident=incident, actor=lead, status="triage")
    body = text(lead_client.get(detail(incident)))
    assert '<option value="containment">Forward to Containment</option>' in body
    assert '<option value="new">Back to New</option>' in body
    assert '<option value="closed">' not in body


def test_an_illegal_jump_changes_nothing_and_says_why(lead_client, incident):
    entries = TimelineEntry.objects.count()
    response = lead_client.post(f"{detail(incident)}status/", {"status": "closed"})
    assert response.status_code == CONFLICT  # an illegal state change: 409, as in the API
    assert "can move to triage" in text(response)
    incident.refresh_from_db()
    assert incident.status == "new"
    assert incident.resolved_at is None
    assert TimelineEntry.objects.count() == entries


def test_an_unknown_status_is_a_form_error_not_a_crash(lead_client, incident):
    response = lead_client.post(f"{detail(incident)}status/", {"status": "exploded"})
    assert response.status_code == UNPROCESSABLE
    assert "Select a valid choice" in text(response)


def test_moving_back_needs_a_reason(lead_client, lead, incident):
    services.incident_change_status(incident=incident, actor=lead, status="triage")
    entries = TimelineEntry.objects.count()

    response = lead_client.post(f"{detail(incident)}status/", {"status": "new", "reason": "  "})
    assert response.status_code == UNPROCESSABLE
    assert "needs a reason" in text(response)
    incident.refresh_from_db()
    assert incident.status == "triage"
    assert TimelineEntry.objects.count() == entries

    response = lead_client.post(
        f"{detail(incident)}status/", {"status": "new", "reason": "Filed too early"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "new"
    assert incident.timeline.last().body.endswith("Reason: Filed too early")


def test_htmx_status_change_returns_the_section_and_updates_summary_and_timeline(
    lead_client, incident
):
    response = lead_client.post(f"{detail(incident)}status/", {"status": "triage"}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="section-status"')
    assert '<section id="section-summary"' in body
    assert '<section id="section-timeline"' in body
    assert '<header id="incident-header"' in body  # the header's status badge
    assert body.count('hx-swap-oob="true"') == 3
    assert "Status changed to Triage." in body
    assert "HX-Request" in response["Vary"]
    assert_csp_safe(response)


def test_htmx_refused_status_change_returns_the_section_with_the_error(lead_client, incident):
    response = lead_client.post(f"{detail(incident)}status/", {"status": "closed"}, **HTMX)
    assert response.status_code == CONFLICT
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="section-status"')
    assert "hx-swap-oob" not in body
    assert "can move to triage" in body


# --- Timeline ---------------------------------------------------------------------


def test_adding_a_timeline_entry(lead_client, lead, incident):
    response = lead_client.post(
        f"{detail(incident)}timeline/",
        {"kind": "decision", "body": "Take the VPN down", "occurred_at": "2025-03-01T12:00"},
    )
    assert response.status_code == 302
    entry = incident.timeline.get(kind=EntryKind.DECISION)
    assert entry.body == "Take the VPN down"
    assert entry.author == lead
    assert entry.occurred_at == dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_timeline_is_shown_oldest_first(lead_client, lead, incident):
    services.timeline_entry_add(
        incident=incident,
        actor=lead,
        body="Later note",
        occurred_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
    )
    services.timeline_entry_add(
        incident=incident,
        actor=lead,
        body="Earlier note",
        occurred_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    body = text(lead_client.get(detail(incident)))
    assert body.index("Earlier note") < body.index("Later note") < body.index("Incident filed")


def test_timeline_refuses_status_change_entries_and_empty_bodies(lead_client, incident):
    entries = TimelineEntry.objects.count()
    response = lead_client.post(
        f"{detail(incident)}timeline/", {"kind": "status_change", "body": "Closed it myself"}
    )
    assert response.status_code == UNPROCESSABLE
    response = lead_client.post(f"{detail(incident)}timeline/", {"kind": "note", "body": ""})
    assert response.status_code == UNPROCESSABLE
    assert 'id="id_timeline_body_error"' in text(response)
    assert TimelineEntry.objects.count() == entries


def test_legal_may_add_to_the_timeline_but_not_change_the_status(client, legal, incident):
    sign_in(client, legal)
    body = text(client.get(detail(incident)))
    assert f'action="{detail(incident)}timeline/"' in body
    assert f'action="{detail(incident)}status/"' not in body
    response = client.post(f"{detail(incident)}timeline/", {"kind": "note", "body": "Notify DPO"})
    assert response.status_code == 302
    assert incident.timeline.filter(body="Notify DPO", author=legal).exists()
    assert client.post(f"{detail(incident)}status/", {"status": "triage"}).status_code == 403


# --- Affected systems -----------------------------------------------------------------


def test_adding_an_affected_system(lead_client, incident):
    response = lead_client.post(
        f"{detail(incident)}systems/",
        {
            "name": "mail-gw-01",
            "kind": "server",
            "owner": "Messaging team",
            "impact_start": "2025-03-01T08:00",
            "impact_end": "2025-03-02T10:30",
        },
    )
    assert response.status_code == 302
    system = incident.systems.get()
    assert system.name == "mail-gw-01"
    assert system.owner == "Messaging team"
    assert system.impact_start == dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
    body = text(lead_client.get(detail(incident)))
    assert "mail-gw-01" in body
    assert "Messaging team" in body
    assert "1 d 2 h 30 min" in body


def test_a_system_impact_cannot_end_before_it_starts(lead_client, incident):
    response = lead_client.post(
        f"{detail(incident)}systems/",
        {
            "name": "db1",
            "kind": "database",
            "impact_start": "2025-03-02T00:00",
            "impact_end": "2025-03-01T00:00",
        },
    )
    assert response.status_code == UNPROCESSABLE
    assert "The impact cannot end before it started." in text(response)
    assert not AffectedSystem.objects.exists()


def test_changing_containment_records_its_history(lead_client, lead, incident):
    system = services.system_add(incident=incident, actor=lead, name="vpn-01")
    url = f"{detail(incident)}systems/{system.pk}/containment/"
    response = lead_client.post(url, {"state": "isolated", "note": "Pulled the cable"})
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.containment_state == "isolated"
    change = ContainmentChange.objects.get(system=system)
    assert (change.from_state, change.to_state, change.changed_by) == ("online", "isolated", lead)
    body = text(lead_client.get(detail(incident)))
    assert "Online → Isolated" in body
    assert "Pulled the cable" in body


def test_htmx_containment_change_returns_the_systems_section(lead_client, lead, incident):
    system = services.system_add(incident=incident, actor=lead, name="vpn-01")
    response = lead_client.post(
        f"{detail(incident)}systems/{system.pk}/containment/", {"state": "shut_down"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="section-systems"')
    assert "vpn-01 is now shut down." in body


def test_an_unknown_containment_state_is_refused(lead_client, lead, incident):
    system = services.system_add(incident=incident, actor=lead, name="vpn-01")
    response = lead_client.post(
        f"{detail(incident)}systems/{system.pk}/containment/", {"state": "vaporised"}
    )
    assert response.status_code == UNPROCESSABLE
    assert f'id="id_containment{system.pk}_state_error"' in text(response)
    system.refresh_from_db()
    assert system.containment_state == "online"


def test_another_incidents_system_task_or_crew_member_is_404(
    lead_client, lead, responder, incident, make_incident
):
    other = make_incident(reporter=lead)
    system = services.system_add(incident=other, actor=lead, name="elsewhere")
    task = services.task_add(incident=other, actor=lead, title="Elsewhere")
    member = services.crew_add(incident=other, actor=lead, user=responder)

    response = lead_client.post(
        f"{detail(incident)}systems/{system.pk}/containment/", {"state": "isolated"}
    )
    assert response.status_code == 404
    assert (
        lead_client.post(f"{detail(incident)}tasks/{task.pk}/done/", {"done": "true"}).status_code
        == 404
    )
    assert lead_client.post(f"{detail(incident)}crew/{member.pk}/remove/").status_code == 404

    system.refresh_from_db()
    task.refresh_from_db()
    assert system.containment_state == "online"
    assert task.done is False
    assert CrewMember.objects.filter(pk=member.pk).exists()


# --- Crew ---------------------------------------------------------------------------


def test_lead_adds_and_removes_crew(lead_client, responder, incident):
    response = lead_client.post(
        f"{detail(incident)}crew/", {"username": "rick", "role": CrewRole.COMMANDER}
    )
    assert response.status_code == 302
    member = incident.crew.get()
    assert (member.user, member.role) == (responder, CrewRole.COMMANDER)
    assert "Incident commander" in text(lead_client.get(detail(incident)))

    response = lead_client.post(f"{detail(incident)}crew/{member.pk}/remove/")
    assert response.status_code == 302
    assert not incident.crew.exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody-here", "No active person has this user name."),
        ("ronja", "Only CSIRT members can be on a crew."),
    ],
)
def test_crew_add_refusals_show_on_the_username_field(
    lead_client, reporter, incident, username, message
):
    response = lead_client.post(
        f"{detail(incident)}crew/", {"username": username, "role": "responder"}
    )
    assert response.status_code == UNPROCESSABLE
    body = text(response)
    assert message in body
    assert 'id="id_crew_username_error"' in body
    assert not incident.crew.exists()


def test_a_person_cannot_join_the_crew_twice(lead_client, lead, responder, incident):
    services.crew_add(incident=incident, actor=lead, user=responder)
    response = lead_client.post(
        f"{detail(incident)}crew/", {"username": "rick", "role": "observer"}
    )
    assert response.status_code == UNPROCESSABLE
    assert "already on the crew" in text(response)
    assert incident.crew.count() == 1


def test_responder_who_is_not_commander_cannot_manage_crew(
    client, lead, responder, make_member, incident
):
    other = make_member(Role.RESPONDER, username="rita")
    member = services.crew_add(incident=incident, actor=lead, user=other)
    sign_in(client, responder)
    body = text(client.get(detail(incident)))
    assert f'action="{detail(incident)}crew/"' not in body
    assert client.post(f"{detail(incident)}crew/", {"username": "rita"}).status_code == 403
    assert client.post(f"{detail(incident)}crew/{member.pk}/remove/").status_code == 403
    assert incident.crew.count() == 1


def test_the_incident_commander_manages_the_crew(client, lead, responder, make_member, incident):
    services.crew_add(incident=incident, actor=lead, user=responder, role=CrewRole.COMMANDER)
    make_member(Role.LEGAL, username="linda")
    sign_in(client, responder)
    assert f'action="{detail(incident)}crew/"' in text(client.get(detail(incident)))
    response = client.post(f"{detail(incident)}crew/", {"username": "linda", "role": "legal"})
    assert response.status_code == 302
    assert incident.crew.filter(user__username="linda", role="legal").exists()


def test_leaving_a_restricted_incidents_crew_leads_back_to_the_list(
    client, lead, responder, make_incident
):
    secret = make_incident(reporter=lead, restricted=True)
    member = services.crew_add(incident=secret, actor=lead, user=responder, role="commander")
    sign_in(client, responder)
    response = client.post(f"{detail(secret)}crew/{member.pk}/remove/")
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert client.get(detail(secret)).status_code == 404


# --- Tasks ---------------------------------------------------------------------------


def test_adding_a_task_and_marking_it_done(lead_client, lead, responder, incident):
    response = lead_client.post(
        f"{detail(incident)}tasks/",
        {"title": "Rotate the service account keys", "assignee": "rick", "due_date": "2025-03-05"},
    )
    assert response.status_code == 302
    task = incident.tasks.get()
    assert (task.assignee, task.due_date, task.created_by) == (responder, dt.date(2025, 3, 5), lead)
    assert "Rotate the service account keys" in text(lead_client.get(detail(incident)))

    url = f"{detail(incident)}tasks/{task.pk}/done/"
    assert lead_client.post(url, {"done": "true"}).status_code == 302
    task.refresh_from_db()
    assert task.done is True and task.done_at is not None

    assert lead_client.post(url, {"done": "false"}).status_code == 302
    task.refresh_from_db()
    assert task.done is False and task.done_at is None


def test_a_task_needs_a_title_and_an_assignee_who_can_see_the_incident(
    lead_client, reporter, incident
):
    response = lead_client.post(f"{detail(incident)}tasks/", {"title": "", "assignee": ""})
    assert response.status_code == UNPROCESSABLE
    assert 'id="id_task_title_error"' in text(response)

    response = lead_client.post(f"{detail(incident)}tasks/", {"title": "Call", "assignee": "ronja"})
    assert response.status_code == UNPROCESSABLE
    assert 'id="id_task_assignee_error"' in text(response)
    assert not Task.objects.exists()


def test_a_bad_done_value_is_a_bad_request(lead_client, lead, incident):
    task = services.task_add(incident=incident, actor=lead, title="Check backups")
    response = lead_client.post(f"{detail(incident)}tasks/{task.pk}/done/", {"done": "maybe"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.done is False


def test_the_assignee_may_toggle_their_task_without_change_rights(
    client, lead, legal, make_member, incident
):
    services.crew_add(incident=incident, actor=lead, user=legal, role="legal")
    task = services.task_add(incident=incident, actor=lead, title="Draft notice", assignee=legal)
    other_task = services.task_add(incident=incident, actor=lead, title="Not yours")
    sign_in(client, legal)
    body = text(client.get(detail(incident)))
    assert f'action="{detail(incident)}tasks/{task.pk}/done/"' in body
    assert f'action="{detail(incident)}tasks/{other_task.pk}/done/"' not in body
    assert f'action="{detail(incident)}tasks/"' not in body

    assert (
        client.post(f"{detail(incident)}tasks/{task.pk}/done/", {"done": "true"}).status_code == 302
    )
    task.refresh_from_db()
    assert task.done is True
    response = client.post(f"{detail(incident)}tasks/{other_task.pk}/done/", {"done": "true"})
    assert response.status_code == 403
    other_task.refresh_from_db()
    assert other_task.done is False


def test_htmx_task_toggle_returns_the_tasks_section(lead_client, lead, incident):
    task = services.task_add(incident=incident, actor=lead, title="Check backups")
    response = lead_client.post(
        f"{detail(incident)}tasks/{task.pk}/done/", {"done": "true"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="section-tasks"')
    assert "Task “Check backups” is done." in body


# --- Page hygiene -------------------------------------------------------------------


def test_every_page_is_free_of_inline_script_and_handlers(client, lead, make_incident):
    incident = make_incident(reporter=lead, restricted=True, attack_vectors=["phishing"])
    system = services.system_add(incident=incident, actor=lead, name="vpn-01")
    services.system_change_containment(system=system, actor=lead, state="isolated", note="x")
    services.crew_add(incident=incident, actor=lead, user=lead, role="commander")
    services.task_add(incident=incident, actor=lead, title="Check", assignee=lead)
    sign_in(client, lead)
    responses = [
        client.get("/incidents/"),
        client.get("/incidents/", {"severity": "bogus"}),
        client.get("/incidents/new/"),
        client.post("/incidents/new/", {"title": ""}),
        client.get(detail(incident)),
        client.post(f"{detail(incident)}status/", {"status": "closed"}),
        client.post(f"{detail(incident)}crew/", {"username": "x"}, **HTMX),
        client.post(f"{detail(incident)}timeline/", {"body": "Hello"}, **HTMX),
        client.post(f"{detail(incident)}systems/", {"name": "db"}, **HTMX),
        client.post(f"{detail(incident)}tasks/", {"title": "More"}, **HTMX),
    ]
    for response in responses:
        assert_csp_safe(response)
        assert response.status_code in (200, 400, 409, 422)
    # The detail page carries a POST form (with a CSRF token) for each section's write.
    assert len(audit_page(responses[4]).post_forms) >= 7


def test_the_layout_loads_htmx_from_static_with_eval_disabled(lead_client, lead):
    body = text(lead_client.get("/incidents/"))
    assert '<script src="/static/js/htmx.min.' in body
    assert '"allowEval":false' in body
    assert '"includeIndicatorStyles":false' in body
    assert '<link rel="stylesheet" href="/static/css/cordon.' in body
    assert 'href="#main"' in body and '<main id="main"' in body
    assert "lea" in body and "lead" in body
    assert 'action="/accounts/logout/"' in body
