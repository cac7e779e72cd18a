"""Accessibility of the main pages: an automated check with axe-core (from the npm
registry, package.json) injected into each page, failing on serious and critical
violations; and a keyboard-only pass: skip link, a sensible tab order, a visible focus
ring on every control, and an incident filed and worked on without the mouse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import member_save
from disclosures.services import disclosure_create
from incidents.lifecycle import ORDER, Status
from incidents.models import Incident
from incidents.services import incident_change_status
from tests.e2e.helpers import PASSWORD, unused_code
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}

# What the focused element is, and whether the browser draws a ring around it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute("name") || "",
    text: (el.getAttribute("aria-label") || label || el.innerText || el.value || "").trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none",
    top: el.getBoundingClientRect().top,
    key: el.tagName + "#" + el.id + "|" + (el.getAttribute("name") || "") + "|" + el.innerText,
  };
}"""


@pytest.fixture
def lead_with_an_incident(db):
    lead, _ = member_save(actor=None, username="lea", role=Role.LEAD, password=PASSWORD)
    device = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True)
    incident = IncidentFactory(reporter=lead, title="Suspicious VPN logins", severity="medium")
    return lead, device, incident


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab(page, times: int = 1, *, backwards: bool = False) -> dict | None:
    for _ in range(times):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    return focused(page)


def tab_to(page, predicate, *, limit: int = 60, what: str = "") -> list[dict]:
    """Tab until the focused element matches; every stop on the way, each of which
    must show a focus ring."""
    stops = []
    for _ in range(limit):
        element = tab(page)
        assert element is not None, f"focus fell out of the page before {what}: {stops}"
        if stops and element["key"] == stops[-1]["key"]:
            # Tab inside a native date and time field steps through its segments and
            # its picker button (the browser's own shadow DOM, with its own focus
            # styles); the field was checked when the focus entered it.
            continue
        assert element["outline"] or element["shadow"], f"no visible focus on {element}"
        stops.append(element)
        if predicate(element):
            return stops
    pytest.fail(f"{what} never got the focus in {limit} tabs: {[s['text'] for s in stops]}")


def texts(stops: list[dict]) -> list[str]:
    return [stop["text"] for stop in stops]


def from_the_top(page) -> None:
    """Start the next Tab from the top of the document, as after loading a page that
    puts the focus nowhere in particular."""
    page.evaluate(
        """() => {
          const body = document.body;
          body.setAttribute("tabindex", "-1");
          body.focus();
          body.removeAttribute("tabindex");
        }"""
    )


def skip_link_works(page) -> dict:
    """From the top of a page, the first Tab shows the skip link; Enter moves the focus
    to the main content, and the next Tab lands inside it (returned)."""
    from_the_top(page)
    first = tab(page)
    assert first is not None and first["text"] == "Skip to main content", first
    assert first["top"] >= 0, "the skip link stays off screen when focused"
    assert first["outline"] or first["shadow"]
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    inside = tab(page)
    assert inside is not None
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    return inside


# --- Keyboard only ------------------------------------------------------------------


def test_keyboard_only_sign_in_file_an_incident_and_work_on_it(page, lead_with_an_incident):
    lead, device, existing = lead_with_an_incident

    # Sign-in page: the user name field has the focus; the order is the form's.
    page.goto("/accounts/login/")
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type("lea")
    assert tab(page)["name"] == "password"
    page.keyboard.type(PASSWORD)
    button = tab(page)
    assert (button["tag"], button["text"]) == ("button", "Sign in")
    assert button["outline"] or button["shadow"]
    assert tab(page)["text"] == "Forgot your password?"
    skip_link_works(page)
    page.locator("input[name=password]").focus()
    page.keyboard.press("Enter")

    # Second factor: the code field has the focus, Enter submits.
    page.wait_for_url(re.compile(r"/accounts/verify/"))
    expect(page.locator("input[name=otp_token]")).to_be_focused()
    page.keyboard.type(unused_code(device))
    verify = tab(page)
    assert (verify["tag"], verify["text"]) == ("button", "Verify")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/$"))

    # Overview: skip link, then the brand and the main navigation in reading order.
    page.goto("/")
    skip_link_works(page)
    from_the_top(page)
    stops = tab_to(page, lambda e: e["text"] == "Log out", what="Log out")
    assert texts(stops)[:3] == ["Skip to main content", "Cordon", "Overview"]
    nav = [t for t in texts(stops) if t in {"Overview", "Incidents", "New incident", "Audit log"}]
    assert nav == ["Overview", "Incidents", "New incident", "Audit log"]

    # Incidents list: from the main content, its links, the filters in order, the table.
    page.goto("/incidents/")
    stops = [skip_link_works(page)]
    stops += tab_to(page, lambda e: e["text"] == existing.reference, what="the incident link")
    assert texts(stops)[:2] == ["Action items", "New incident"], texts(stops)
    assert [stop["name"] for stop in stops if stop["name"]] == [
        "status",
        "severity",
        "type",
        "tag",
        "field",
        "q",
    ]
    # After the filters, the sortable column headers, then the incidents.
    after_filter = texts(stops)[texts(stops).index("Filter") + 1 : -1]
    assert [t.rstrip(" ▲▼") for t in after_filter] == [
        "Reference",
        "Title",
        "Severity",
        "Status",
        "Owner",
        "Last activity",
    ]

    # New incident, with the keyboard only: from the navigation to the filed incident.
    from_the_top(page)
    tab_to(page, lambda e: e["text"] == "New incident" and e["tag"] == "a", what="New incident")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/new/$"))
    skip_link_works(page)  # lands on the first field of the form after the heading
    from_the_top(page)
    tab_to(page, lambda e: e["name"] == "title", what="the title field")
    page.keyboard.type("Keyboard-only filing of a malware alert")
    severity = tab(page)
    assert severity["name"] == "severity"
    page.keyboard.press("ArrowDown")  # "Low" (the first real choice)
    page.keyboard.press("ArrowDown")  # "Medium"
    stops = tab_to(page, lambda e: e["text"] == "File incident", what="File incident")
    order = [stop["name"] for stop in stops if stop["name"]]
    assert order[:2] == ["description", "discovery_method"], order
    assert order.index("occurred_at") < order.index("aware_at") < order.index("restricted")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    filed = Incident.objects.get(title="Keyboard-only filing of a malware alert")
    assert filed.severity == "medium"
    assert filed.reporter == lead

    # Incident page: the section links, then a timeline entry added through htmx; the
    # focus stays in the section htmx replaced.
    skip_link_works(page)
    from_the_top(page)
    stops = tab_to(page, lambda e: e["text"] == "Add a timeline entry", what="Add an entry")
    section_links = ["Summary", "Status", "Timeline", "Affected systems", "Crew", "Tasks"]
    assert [t for t in texts(stops) if t in section_links] == section_links
    page.keyboard.press("Enter")  # the form opens when asked for
    tab_to(page, lambda e: e["name"] == "body" and e["tag"] == "textarea", what="entry")
    page.keyboard.type("Isolated the host from the network.")
    tab_to(page, lambda e: e["text"] == "Add entry", what="Add entry")
    page.keyboard.press("Enter")
    expect(page.locator("#section-timeline .timeline")).to_contain_text("Isolated the host")
    # The focus is on the section's notice ("Timeline entry added."), not lost to the
    # page, and the next Tabs go on inside the form that was just used (it stays open
    # for the next entry, after the button that opened it).
    expect(page.locator("#section-timeline .notice")).to_be_focused()
    expect(page.locator("#section-timeline .notice")).to_have_text("Timeline entry added.")
    assert tab(page)["text"] == "Add a timeline entry"
    tab(page)
    assert page.evaluate(
        "() => document.querySelector('#section-timeline form').contains(document.activeElement)"
    )

    # Audit log: the filters are reachable in order, and Enter filters.
    page.goto("/audit/")
    skip_link_works(page)
    from_the_top(page)
    stops = tab_to(page, lambda e: e["text"] == "Filter", what="Filter")
    fields = [stop["name"] for stop in stops if stop["tag"] in {"input", "select"}]
    # The navigation's search box (q) comes first, then the page's filters.
    assert fields == ["q", "since", "until", "actor", "action", "target", "outcome"], fields
    assert tab(page, 3, backwards=True)["name"] == "action"
    page.keyboard.type("incident.filed")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/audit/\?"))
    expect(page.locator("table.audit-events tbody")).to_contain_text(filed.reference)


# --- axe-core -------------------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now.

    The page's CSP allows scripts from 'self' only, so axe is not added as a <script>
    (an inline one would be refused): Playwright evaluates its source through the
    DevTools protocol, which the page's policy does not govern."""
    if page.evaluate("() => typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        """async () => {
          const results = await axe.run(document, {resultTypes: ["violations"]});
          return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
          }));
        }"""
    )
    return [v for v in results if v["impact"] in BLOCKING_IMPACTS]


def test_main_pages_have_no_serious_accessibility_violations(page, lead_with_an_incident):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` (package.json) first")
    lead, device, incident = lead_with_an_incident
    in_review = IncidentFactory(reporter=lead, title="Leaked API key", severity="high")
    for status in ORDER[1 : ORDER.index(Status.REVIEW) + 1]:
        incident_change_status(incident=in_review, actor=lead, status=status)
    disclosure = disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    # Observables of every marking, a look-alike name, and one shared with another
    # incident, so the section shows its labels, badges, forms and correlation.
    from observables.services import ObservableInput, observables_add

    items = [
        ObservableInput(type="domain", value=f"m{n}.evil.example", tlp=tlp, is_ioc=n % 2 == 0)
        for n, tlp in enumerate(["clear", "green", "amber", "amber+strict", "red"])
    ]
    items.append(ObservableInput(type="domain", value="p\u0430ypal.com", sighted=True))
    observables_add(incident=incident, actor=lead, items=items)
    observables_add(incident=in_review, actor=lead, items=items[:1])
    found = {}

    page.goto("/accounts/login/")
    found["/accounts/login/"] = axe_violations(page)
    page.fill("input[name=username]", "lea")
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/verify/"))
    found["/accounts/verify/"] = axe_violations(page)
    page.fill("input[name=otp_token]", unused_code(device))
    page.click("form:has(input[name=otp_token]) [type=submit]")
    page.wait_for_url(re.compile(r"/incidents/$"))

    for path in [
        "/",
        "/incidents/",
        "/incidents/new/",
        f"/incidents/{incident.pk}/",
        "/audit/",
        "/accounts/security/",
        "/accounts/members/",
        f"/disclosures/{disclosure.pk}/",
        f"/incidents/{in_review.pk}/review/",
        "/incidents/action-items/",
        "/observables/?q=m0.evil[.]example",
        "/notifications/",
        "/shortcuts/",
    ]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        found[path] = axe_violations(page)
    # The incident page with every form opened (they open when asked for).
    page.goto(f"/incidents/{incident.pk}/")
    for summary in page.locator("details.on-demand > summary").all():
        summary.click()
    found["incident page, forms open"] = axe_violations(page)

    problems = {path: violations for path, violations in found.items() if violations}
    assert not problems, "axe-core found serious or critical violations:\n" + json.dumps(
        problems, indent=1
    )


def test_axe_finds_a_planted_violation(page):
    """The check can fail: an unlabelled field is a critical violation to axe."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` (package.json) first")
    page.goto("/accounts/login/")
    page.evaluate("() => document.querySelector('label[for=id_username]').remove()")
    violations = axe_violations(page)
    assert any(v["id"] == "label" for v in violations), violations
