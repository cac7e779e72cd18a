"""An incident from the first report to its close, in the system Chromium against a live
server on PostgreSQL with a real Celery worker (hashing evidence, sending e-mail).

A lead invites a new responder by e-mail; the responder accepts the link, chooses a
password and enrols an authenticator from the key on the page; files an incident, adds
an affected system and a timeline entry, uploads a screenshot and a log file and sees
both verified by the worker, and drafts a disclosure; a manager approves it after a
step-up with a fresh code; the lead walks the incident through its lifecycle, completes
the post-incident review and closes it; an auditor finds every one of those actions in
the audit log. Every code is a real TOTP code, computed from the key as an app would.
"""

from __future__ import annotations

import email
import re
from collections import Counter
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from accounts.services import member_save
from disclosures.models import Disclosure
from evidence.models import EvidenceItem
from incidents.models import Incident
from tests.conftest import wait_for
from tests.e2e.helpers import (
    PASSWORD,
    code_from_key_text,
    give_code,
    make_step_up_stale,
    open_form,
    reload_until,
    sign_in,
    unused_code,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

NEW_MEMBER = "noor"
NEW_MEMBER_PASSWORD = "Tide-pool-lantern-58"
TITLE = "Phishing led to a mailbox takeover"
BLANK = re.compile(r"\[TO BE CONFIRMED:[^\]]*\]")
INVITATION_LINK = re.compile(r"https?://[^\s]+/accounts/invitation/[A-Za-z0-9_-]+/")


@pytest.fixture
def vault(settings, tmp_path):
    """One evidence store for the live server and the worker process."""
    root = tmp_path / "vault"
    settings.EVIDENCE_ROOT = root
    settings.EVIDENCE_STORAGE = "local"
    return root


@pytest.fixture
def celery_worker_env(vault):
    return {"EVIDENCE_ROOT": str(vault), "EVIDENCE_STORAGE": "local"}


def person(username: str, role: str) -> TOTPDevice:
    """Someone with a password and an authenticator app (the device the test reads)."""
    user, _ = member_save(
        actor=None, username=username, role=role, password=PASSWORD, email=f"{username}@example.org"
    )
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def mailed_invitation_link(mail_dir, address: str) -> str:
    """The link in the invitation the worker sent to `address` (Django's file backend)."""

    def find():
        for path in sorted(mail_dir.iterdir()):
            for raw in path.read_bytes().split(b"-" * 79):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw.lstrip(), policy=policy.default)
                if address in (message["To"] or ""):
                    text = message.get_body(preferencelist=("plain",)).get_content()
                    match = INVITATION_LINK.search(text)
                    if match:
                        return match.group(0)
        return None

    return wait_for(find, timeout=30)


def make_screenshot(path) -> None:
    image = Image.new("RGB", (480, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 470, 60), outline="black")
    draw.text((20, 25), "Sign in to your mailbox - mail-login.example.net", fill="black")
    image.save(path, format="PNG")


def make_log(path) -> None:
    path.write_text(
        "".join(
            f"2026-11-28T22:{minute:02d}:00Z imap login user=cfo@example.org "
            f"from=203.0.113.{minute} ok\n"
            for minute in range(10, 40)
        )
    )


def upload_evidence(page, path, *, kind: str, description: str) -> None:
    form = page.locator("form[action$='/upload/']")
    form.locator("input[name=file]").set_input_files(path)
    form.locator("select[name=kind]").select_option(kind)
    form.locator("[name=description]").fill(description)
    form.locator("[name=source_host]").fill("mail-gw-01")
    form.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r"/evidence/\d+/$"))
    expect(page.locator("h1")).to_contain_text(path.name)
    # The worker reads the stored bytes back and hashes them; a person reloads.
    reload_until(page, ".facts .badge", "Verified")
    expect(page.locator(".facts")).to_contain_text("SHA-1")


def change_status(page, status: str, label: str) -> None:
    form = page.locator("#section-status form")
    form.locator("select[name=status]").select_option(status)
    form.locator("[type=submit]").click()
    expect(page.locator("#section-status")).to_contain_text(f"The incident is in {label}")


def test_an_incident_from_invitation_to_close_is_in_the_audit_log(
    new_page, celery_worker, vault, tmp_path
):
    lead_device = person("lea", Role.LEAD)
    manager_device = person("mona", Role.MANAGER)
    auditor_device = person("audrey", Role.AUDITOR)

    # --- A lead invites a new responder --------------------------------------------
    lead_page = new_page("lead")
    sign_in(lead_page, "lea", lead_device, next_path="/accounts/members/")
    invite = lead_page.locator("form#invite")
    invite.locator("[name=username]").fill(NEW_MEMBER)
    invite.locator("[name=email]").fill(f"{NEW_MEMBER}@example.org")
    invite.locator("[name=role]").select_option(Role.RESPONDER)
    invite.locator("[type=submit]").click()
    expect(lead_page.locator("#flash")).to_contain_text(f"invitation link for {NEW_MEMBER}")

    # --- who accepts by the e-mailed link, sets a password, enrols TOTP ---------------
    link = mailed_invitation_link(celery_worker.mail_dir, f"{NEW_MEMBER}@example.org")
    member_page = new_page("responder")
    member_page.goto(link)
    expect(member_page.locator("h1")).to_have_text("Welcome to Cordon")
    member_page.fill("input[name=new_password1]", NEW_MEMBER_PASSWORD)
    member_page.fill("input[name=new_password2]", NEW_MEMBER_PASSWORD)
    member_page.click("form:has(input[name=new_password1]) [type=submit]")
    member_page.wait_for_url(re.compile(r"/accounts/2fa/setup/$"))
    key_text = member_page.locator("#totp-key").inner_text()
    give_code(member_page, code_from_key_text(key_text))
    expect(member_page.locator("#backup-codes li")).to_have_count(10)
    member_page.click("a:has-text('Continue')")
    member_page.wait_for_url(re.compile(r"/incidents/$"))
    noor = User.objects.get(username=NEW_MEMBER)
    assert noor.check_password(NEW_MEMBER_PASSWORD)
    assert TOTPDevice.objects.get(user=noor).confirmed

    # --- files an incident, adds an affected system and a timeline entry --------------
    member_page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="New incident"
    ).click()
    member_page.wait_for_url(re.compile(r"/incidents/new/$"))
    member_page.fill("input[name=title]", TITLE)
    member_page.select_option("select[name=severity]", "high")
    member_page.fill("textarea[name=description]", "The CFO entered her password on a fake page.")
    member_page.check("input[name=data_categories][value=pii]")
    member_page.click("form:has(input[name=title]) [type=submit]")
    member_page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get(title=TITLE)
    expect(member_page.locator("h1")).to_contain_text(incident.reference)

    systems = member_page.locator("#section-systems")
    open_form(systems, "Add an affected system")
    systems.locator("form.subform [name=name]").fill("Mail gateway mail-gw-01")
    systems.locator("form.subform [name=owner]").fill("Messaging team")
    systems.locator("form.subform [type=submit]").click()
    expect(member_page.locator("#section-systems h3").first).to_contain_text("mail-gw-01")

    timeline = member_page.locator("#section-timeline")
    open_form(timeline, "Add a timeline entry")
    timeline.locator("form [name=body]").fill("Reset the CFO's password and revoked her sessions.")
    timeline.locator("form [type=submit]").click()
    expect(member_page.locator("#section-timeline .timeline")).to_contain_text(
        "revoked her sessions"
    )

    # --- uploads a screenshot and a log file and sees them verified -------------------
    screenshot = tmp_path / "fake-login-page.png"
    make_screenshot(screenshot)
    log_file = tmp_path / "imap-gateway.log"
    make_log(log_file)
    member_page.goto(f"/incidents/{incident.pk}/")
    upload_evidence(member_page, screenshot, kind="screenshot", description="The fake page")
    # Its preview is a thumbnail re-drawn from the pixels. It shows what the screenshot
    # shows, so she asks for it and gives a fresh code first; then the browser shows it.
    make_step_up_stale(member_page)
    member_page.get_by_role("link", name=re.compile("Show the screenshot preview")).click()
    member_page.wait_for_url(re.compile(r"/accounts/step-up/\?next="))
    noor_device = TOTPDevice.objects.get(user__username=NEW_MEMBER)
    give_code(member_page, unused_code(noor_device))
    member_page.wait_for_url(re.compile(r"/evidence/\d+/\?preview=1(#preview)?$"))
    preview = member_page.locator("figure.evidence-preview img")
    expect(preview).to_be_visible()
    preview.evaluate("img => img.decode()")
    assert preview.evaluate("img => img.naturalWidth") > 0
    member_page.goto(f"/incidents/{incident.pk}/")
    upload_evidence(member_page, log_file, kind="log", description="IMAP logins")
    # The download button is a POST form on the item page (no link elsewhere can start
    # one); the code she gave for the preview is still fresh.
    with member_page.expect_download() as download_info:
        member_page.get_by_role("button", name="Download (needs a fresh one-time code)").click()
    assert Path(download_info.value.path()).read_bytes() == log_file.read_bytes()
    items = EvidenceItem.objects.filter(incident=incident).order_by("pk")
    assert [(item.original_name, item.status) for item in items] == [
        (screenshot.name, "verified"),
        (log_file.name, "verified"),
    ]
    assert [item.size for item in items] == [
        screenshot.stat().st_size,
        log_file.stat().st_size,
    ]

    # --- drafts a disclosure to the regulator and submits it --------------------------
    member_page.goto(f"/incidents/{incident.pk}/")
    drafting = member_page.locator("#section-disclosures form")
    drafting.locator("select[name=audience]").select_option("regulator")
    drafting.locator("select[name=regime]").select_option("gdpr_art33")
    drafting.locator("[type=submit]").click()
    member_page.wait_for_url(re.compile(r"/disclosures/\d+/$"))
    # The draft's blanks are confirmed first: a notice with blanks cannot go for approval.
    text = member_page.locator("textarea[name=body]")
    text.fill(BLANK.sub("confirmed with the DPO", text.input_value()))
    member_page.get_by_role("button", name="Save as a new version").click()
    expect(member_page.locator("#section-checklist")).to_contain_text("No blanks left.")
    member_page.get_by_role("button", name="Submit for approval").click()
    expect(member_page.locator("#section-status .badge-status")).to_have_text("In review")
    disclosure = Disclosure.objects.get(incident=incident)

    # --- a manager approves it after a step-up ----------------------------------------
    manager_page = new_page("manager")
    sign_in(manager_page, "mona", manager_device, next_path=f"/disclosures/{disclosure.pk}/")
    make_step_up_stale(manager_page)  # she signed in this morning
    manager_page.get_by_role("button", name="Approve version 2").click()
    manager_page.wait_for_url(re.compile(r"/accounts/step-up/\?next="))
    disclosure.refresh_from_db()
    assert disclosure.status == "in_review"  # nothing approved without the fresh code
    give_code(manager_page, unused_code(manager_device))
    manager_page.wait_for_url(re.compile(rf"/disclosures/{disclosure.pk}/\?ready=approve#ready$"))
    manager_page.get_by_role("button", name="Approve version 2").click()
    expect(manager_page.locator("#section-status .badge-status")).to_have_text("Approved")
    expect(manager_page.locator("#section-approvals")).to_contain_text("mona (Manager)")

    # --- the lead takes the incident to review and closes it --------------------------
    lead_page.goto(f"/incidents/{incident.pk}/")
    for status, label in [
        ("triage", "Triage"),
        ("containment", "Containment"),
        ("eradication", "Eradication"),
        ("recovery", "Recovery"),
        ("review", "Review"),
    ]:
        change_status(lead_page, status, label)
    # A high incident does not close before its review is completed.
    status_form = lead_page.locator("#section-status form")
    status_form.locator("select[name=status]").select_option("closed")
    status_form.locator("[type=submit]").click()
    expect(lead_page.locator("#section-status")).to_contain_text(
        "needs a completed post-incident review"
    )
    expect(lead_page.locator("#section-status")).to_contain_text("The incident is in Review")
    complete_review(lead_page, incident)
    lead_page.goto(f"/incidents/{incident.pk}/")
    change_status(lead_page, "closed", "Closed")
    incident.refresh_from_db()
    assert incident.status == "closed"

    # --- an auditor finds each of those actions in the audit log ----------------------
    auditor_page = new_page("auditor")
    sign_in(auditor_page, "audrey", auditor_device, next_path="/audit/")
    on_incident = f"incidents.incident:{incident.pk}"
    on_noor = f"accounts.user:{noor.pk}"
    on_disclosure = f"disclosures.disclosure:{disclosure.pk}"
    found = Counter()
    for filters in [
        {"action": "member.", "target": on_noor},
        {"action": "otp.device_added", "target": on_noor},
        {"action": "incident.", "target": on_incident},
        {"action": "review.", "target": on_incident},
        {"action": "evidence.", "target": "evidence.evidenceitem"},
        {"action": "disclosure.", "target": on_disclosure},
        {"action": "step_up.granted", "actor": "mona"},
    ]:
        found.update(audit_log(auditor_page, **filters))
    on_items = [f"evidence.evidenceitem:{item.pk}" for item in items]
    expected = [
        ("member.invited", "lea", on_noor),
        ("member.invitation_accepted", NEW_MEMBER, on_noor),
        ("otp.device_added", NEW_MEMBER, on_noor),
        ("incident.filed", NEW_MEMBER, on_incident),
        ("incident.system_added", NEW_MEMBER, on_incident),
        ("incident.timeline_added", NEW_MEMBER, on_incident),
        *[("evidence.received", NEW_MEMBER, on_item) for on_item in on_items],
        *[("evidence.hashed", "system", on_item) for on_item in on_items],
        ("evidence.downloaded", NEW_MEMBER, on_items[1]),
        ("disclosure.created", NEW_MEMBER, on_disclosure),
        ("disclosure.submitted", NEW_MEMBER, on_disclosure),
        ("step_up.granted", "mona", ""),
        ("disclosure.approved", "mona", on_disclosure),
        ("review.started", "lea", on_incident),
        ("review.section_updated", "lea", on_incident),
        ("review.finding_added", "lea", on_incident),
        ("review.action_item_added", "lea", on_incident),
        ("review.completed", "lea", on_incident),
    ]
    missing = [event for event in expected if not found.get(event)]
    assert not missing, f"not in the audit log: {missing}"
    # new → triage → … → review → closed: six changes, all by the lead.
    assert found[("incident.status_changed", "lea", on_incident)] == 6
    audit_log(auditor_page, action="incident.status_changed", target=on_incident)
    auditor_page.locator("table.audit-events tbody tr").first.get_by_role("link").click()
    expect(auditor_page.locator("pre.audit-data")).to_contain_text('"to": "closed"')


def complete_review(page, incident) -> None:
    """The blameless post-incident review: the lead writes the summary and the root
    cause, records a finding and an action item with an owner and a due date, and
    completes it."""
    page.locator("#section-status").get_by_role("link", name="Post-incident review").click()
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/review/$"))
    expect(page.locator(".review-state .badge-status")).to_have_text("Draft")

    def write(kind: str, text: str) -> None:
        form = page.locator(f"#section-{kind} form.subform").first  # the section's own text
        form.locator("textarea[name=body]").fill(text)
        form.locator("[type=submit]").click()
        expect(page.locator(f"#section-{kind}")).to_contain_text("Last changed by lea")

    write("summary", "A phishing page took the CFO's mailbox password; no data left the mailbox.")
    write("root_cause", "Password-only IMAP sign-in was still allowed for legacy mail clients.")

    authentication = page.locator("#section-authentication")
    finding = authentication.locator("form[action$='/findings/']")
    finding.locator("textarea[name=body]").fill("IMAP accepted a password without a second factor.")
    finding.locator("[type=submit]").click()
    expect(page.locator("#section-authentication .review-findings")).to_contain_text("IMAP")

    # One action-item form for the page, the section chosen in it.
    item = page.locator("#add-action-item form")
    item.locator("select[name=section]").select_option(label="Is authentication strong enough?")
    item.locator("input[name=title]").fill("Turn off password-only IMAP")
    item.locator("select[name=owner]").select_option("lea")
    item.locator("input[name=due_date]").fill(f"{date.today() + timedelta(days=14):%Y-%m-%d}")
    item.locator("[type=submit]").click()
    expect(page.locator("#section-authentication table.action-items")).to_contain_text(
        "Turn off password-only IMAP"
    )

    page.get_by_role("button", name="Complete the review").click()
    expect(page.locator(".review-state .badge-status")).to_have_text("Completed")


def audit_log(page, *, action: str, actor: str = "", target: str = "") -> Counter:
    """What the audit log page lists for these filters, as the auditor types them:
    how many rows of each (action, actor, object)."""
    page.goto("/audit/")
    filters = page.locator("form.filters")
    filters.locator("[name=action]").fill(action)
    filters.locator("[name=actor]").fill(actor)
    filters.locator("[name=target]").fill(target)
    filters.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r"/audit/\?"))
    cells = page.locator("table.audit-events tbody tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"
    )
    assert page.get_by_role("link", name="Older events").count() == 0, "more than one page"
    return Counter(
        (shown_action, shown_actor, shown_object.split(" ")[0])
        for _, _, shown_action, _, shown_actor, shown_object, _ in cells
    )
