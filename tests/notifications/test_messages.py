"""Every message Cordon sends, from its real trigger: rendered from templates/email/ in a
text and an HTML part, every link absolute from SITE_URL, hostile content escaped in the
HTML part, and a restricted incident named by its reference and a link, nothing else."""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.test.signals import template_rendered
from django.utils import timezone

from accounts import recovery
from accounts import services as account_services
from accounts.models import LoginAttempt
from accounts.roles import Role
from audit.alerts import chain_broken, chain_heads_broken, sequencing_stalled
from audit.models import AuditCheckpoint
from audit.monitor import Sample, resource_check
from disclosures import services as disclosure_services
from disclosures.models import Audience, Regime
from disclosures.reminders import reminders_send
from evidence import services as evidence_services
from incidents import services as incident_services
from incidents.models import ReviewSection
from notifications.messages import render_message
from notifications.models import Notification
from tests.evidence import conftest as evidence_fixtures
from tests.factories import fill_blanks
from tests.incidents.test_notifications import walk_to_review

vault = evidence_fixtures.vault  # a vault folder of the test's own
push = evidence_fixtures.push

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates" / "email"
# Facts planted on the incident: none of them may appear in a message about it when it is
# restricted (the word is rare enough that it appears nowhere else).
PLANTED = "quokka"
TITLE = "Quokka exfiltration through the billing API"
SYSTEM = "quokka-billing-db-01"
EVIDENCE_NAME = "quokka-memory.raw"
TASK = "Image the quokka host"
ACTION_ITEM = "Rotate the quokka keys"
HOSTILE = '<script>alert("owned")</script>'
NEXT_WEEK = timezone.localdate() + dt.timedelta(days=7)
PASSWORD = "a-Strong-passphrase-42"


# --- Reading messages ---------------------------------------------------------------


def parts_of(notification: Notification) -> tuple[str, str, str]:
    return notification.subject, notification.body, notification.html_body


def parts_of_mail(message) -> tuple[str, str, str]:
    """(subject, text, HTML) of a sent EmailMultiAlternatives."""
    html = [content for content, kind in message.alternatives if kind == "text/html"]
    return message.subject, message.body, html[0] if html else ""


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.resources, self.tags, self.text = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value or "")
            elif name in ("src", "srcset", "action", "background", "poster"):
                self.resources.append(value or "")

    def handle_data(self, data):
        self.text.append(data)


URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"')]+")
# A path on its own (after a blank, a bracket or a quote): a link without a host.
RELATIVE = re.compile(r"(?:^|[\s(\[\"'“])(/[\w.-]+/[\w./-]*)", re.MULTILINE)


def assert_links_absolute(text: str, where: str) -> None:
    site = django_settings.SITE_URL + "/"
    for url in URL.findall(text):
        assert url.startswith(site), f"{where}: {url!r} does not start with {site}"
    relative = RELATIVE.findall(URL.sub("", text))
    assert not relative, f"{where}: relative links {relative}"


def assert_well_formed(subject: str, text: str, html: str) -> None:
    assert subject.strip() and "\n" not in subject and "\r" not in subject
    assert text.strip(), "no text part"
    assert html.lstrip().lower().startswith("<!doctype html>"), "no HTML part"
    assert_links_absolute(subject, "subject")
    assert_links_absolute(text, "text")
    page = _Links()
    page.feed(html)
    site = django_settings.SITE_URL + "/"
    for href in page.hrefs:
        assert href.startswith(site), f"HTML link {href!r} does not start with {site}"
    # Nothing for a mail client to fetch: no images, styles or scripts from anywhere.
    assert not page.resources, page.resources
    assert not page.tags & {"script", "link", "img", "iframe", "object", "style", "form"}
    assert_links_absolute("".join(page.text), "HTML text")


# --- The world the triggers act on --------------------------------------------------


@pytest.fixture
def other_lead(make_member):
    return make_member(Role.LEAD, username="leif")


@pytest.fixture
def world(lead, other_lead, responder, manager, token_client, push, settings):
    """Everyone concerned, and a way to file an incident with every planted fact."""

    def file(*, restricted: bool, title: str = TITLE):
        incident = incident_services.incident_file(
            reporter=lead,
            title=title,
            severity="high",
            description=f"The {SYSTEM} database was copied out.",
            restricted=restricted,
            aware_at=timezone.now() - dt.timedelta(hours=40),
        )
        # The leads are told by a task once the filing commits: here, at once.
        incident_services.incident_notify_leads_of_filing(incident_id=incident.pk)
        incident_services.crew_add(incident=incident, actor=lead, user=responder)
        incident_services.crew_add(incident=incident, actor=lead, user=manager, role="legal")
        incident_services.system_add(incident=incident, actor=lead, name=SYSTEM)
        return incident

    return SimpleNamespace(
        lead=lead,
        other_lead=other_lead,
        responder=responder,
        manager=manager,
        file=file,
        token_client=token_client,
        push=push,
        settings=settings,
    )


def _upload(world, incident, **fields):
    response = world.push(
        world.token_client(world.responder),
        incident,
        b"x" * 1000,
        name=EVIDENCE_NAME,
        source_host=SYSTEM,
        **fields,
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _draft(world, incident):
    return disclosure_services.disclosure_create(
        incident=incident,
        actor=world.responder,
        audience=Audience.REGULATOR,
        regime=Regime.GDPR_ART33,
    )


# Each trigger acts on an incident (restricted or not) the world filed.
def trigger_incident_filed(world, incident):
    pass  # filing it told the other lead


def trigger_incident_severity_raised(world, incident):
    incident_services.incident_update(incident=incident, actor=world.lead, severity="low")
    incident_services.incident_update(incident=incident, actor=world.lead, severity="critical")


def trigger_incident_crew_added(world, incident):
    pass  # the world put the responder and the manager on the crew


def trigger_incident_task_assigned(world, incident):
    incident_services.task_add(
        incident=incident,
        actor=world.lead,
        title=TASK,
        assignee=world.responder,
        due_date=NEXT_WEEK,
    )


def trigger_review_action_item_assigned(world, incident):
    incident = walk_to_review(incident, world.lead)
    section = ReviewSection.objects.get(review__incident=incident, kind="summary")
    incident_services.action_item_add(
        section=section,
        actor=world.lead,
        title=ACTION_ITEM,
        owner=world.responder,
        due_date=NEXT_WEEK,
    )


def trigger_evidence_verified(world, incident):
    evidence_services.evidence_hash_stored(evidence_id=_upload(world, incident))


def trigger_evidence_integrity_failure(world, incident):
    item_id = _upload(world, incident, sha256="0" * 64)
    evidence_services.evidence_hash_stored(evidence_id=item_id)


def trigger_disclosure_submitted(world, incident):
    draft = fill_blanks(_draft(world, incident), world.responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=world.responder)


def trigger_disclosure_approved(world, incident):
    draft = _draft(world, incident)
    fill_blanks(draft, world.responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=world.responder)
    disclosure_services.disclosure_approve(disclosure=draft, actor=world.manager)


def trigger_disclosure_published(world, incident):
    draft = _draft(world, incident)
    fill_blanks(draft, world.responder)
    disclosure_services.disclosure_submit(disclosure=draft, actor=world.responder)
    disclosure_services.disclosure_approve(disclosure=draft, actor=world.manager)
    disclosure_services.disclosure_publish(
        disclosure=draft, actor=world.lead, channel=f"{PLANTED} portal", recipients="DPA"
    )


def trigger_disclosure_deadline_reminder(world, incident):
    _draft(world, incident)
    assert reminders_send() >= 1


INCIDENT_TRIGGERS = {
    "incident_filed": trigger_incident_filed,
    "incident_severity_raised": trigger_incident_severity_raised,
    "incident_crew_added": trigger_incident_crew_added,
    "incident_task_assigned": trigger_incident_task_assigned,
    "review_action_item_assigned": trigger_review_action_item_assigned,
    "evidence_verified": trigger_evidence_verified,
    "evidence_integrity_failure": trigger_evidence_integrity_failure,
    "disclosure_submitted": trigger_disclosure_submitted,
    "disclosure_approved": trigger_disclosure_approved,
    "disclosure_published": trigger_disclosure_published,
    "disclosure_deadline_reminder": trigger_disclosure_deadline_reminder,
}


# Messages about a person's account, or about Cordon itself.
def trigger_account_locked_out(world):
    account_services.lockout_notify(user=world.responder, ip="203.0.113.9")


def trigger_account_new_login_address(world):
    person = world.responder
    LoginAttempt.objects.create(
        username=person.username,
        user=person,
        succeeded=True,
        second_factor_at=timezone.now(),
        ip="198.51.100.7",
    )
    attempt = LoginAttempt.objects.create(
        username=person.username, user=person, succeeded=True, ip="203.0.113.200"
    )
    account_services.login_attempt_complete(user=person, attempt_id=attempt.pk)


def trigger_invitation(world):
    account_services.member_invite(
        actor=world.lead, username="ines", email="ines@example.org", role=Role.RESPONDER
    )


def trigger_email_verify(world):
    account_services.email_change_request(user=world.responder, email="rick.new@example.org")


def trigger_email_change_requested(world):
    trigger_email_verify(world)  # the old address hears of it


def trigger_email_address_in_use(world):
    account_services.email_change_request(user=world.responder, email=world.manager.email)


def trigger_factor_reset(world):
    world.responder.set_password(PASSWORD)
    world.responder.save()
    recovery.factor_reset_issue(actor=world.lead, user=world.responder)


def trigger_audit_chain_broken(world):
    checkpoint = AuditCheckpoint.objects.create(
        ok=False, verified_through_id=42, reason="event 42 does not hash to its stored hash"
    )
    chain_broken(checkpoint)


def trigger_audit_chain_heads_broken(world):
    chain_heads_broken(SimpleNamespace(line=3, head_id=42, reason="the head line is forged"))


def trigger_audit_sequencing_stalled(world):
    import time_machine

    import audit

    with time_machine.travel(timezone.now() - dt.timedelta(seconds=120), tick=False):
        audit.record("test.waiting")
    sequencing_stalled()


def trigger_resource_spike(world):
    world.settings.RESOURCE_SPIKE_SECONDS = 0
    resource_check(Sample(99, 10, 1, 1), now=0)


def trigger_alert_received(world):
    from intake.services import AlertInput, alerts_receive

    alerts_receive(
        sender=world.responder,
        items=[AlertInput(source="siem", title="Ransom note", severity="critical")],
    )


OTHER_TRIGGERS = {
    "account_locked_out": trigger_account_locked_out,
    "account_new_login_address": trigger_account_new_login_address,
    "invitation": trigger_invitation,
    "email_verify": trigger_email_verify,
    "email_change_requested": trigger_email_change_requested,
    "email_address_in_use": trigger_email_address_in_use,
    "factor_reset": trigger_factor_reset,
    "audit_chain_broken": trigger_audit_chain_broken,
    "audit_chain_heads_broken": trigger_audit_chain_heads_broken,
    "audit_sequencing_stalled": trigger_audit_sequencing_stalled,
    "resource_spike": trigger_resource_spike,
    "alert_received": trigger_alert_received,
}
# Sent at once by Django's reset form (tests/accounts/test_mail_links.py), not queued.
DIRECT = {"password_reset"}
# Rendered instead of the message's own templates (notifications.messages).
STAND_INS = {"restricted_incident"}


class _Rendered:
    """The templates rendered while it is active (Django's test instrumentation)."""

    def __init__(self):
        self.names = set()

    def __enter__(self):
        template_rendered.connect(self._seen)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._seen)

    def _seen(self, sender, template, context, **kwargs):
        if template.name and template.name.startswith("email/"):
            self.names.add(template.name)


def queued_since(mark: int) -> list[Notification]:
    return list(Notification.objects.filter(pk__gt=mark).order_by("pk"))


def last_pk() -> int:
    last = Notification.objects.order_by("-pk").first()
    return last.pk if last else 0


# --- Every template, every trigger --------------------------------------------------


def test_every_message_has_a_subject_a_text_and_an_html_template():
    names = {path.name.removesuffix("_subject.txt") for path in TEMPLATES.glob("*_subject.txt")}
    assert names == set(INCIDENT_TRIGGERS) | set(OTHER_TRIGGERS) | DIRECT | STAND_INS
    for name in names:
        assert (TEMPLATES / f"{name}.txt").is_file(), name
        assert (TEMPLATES / f"{name}.html").is_file(), name


def test_no_message_template_writes_a_link_of_its_own():
    """Links come from `absolute_url` (SITE_URL): `{% url %}` gives a path, and a host
    written into a template would be wrong on every other installation."""
    for path in TEMPLATES.iterdir():
        source = path.read_text()
        assert "{% url " not in source, path.name
        assert not re.search(r"href=\"(?!\{\{|\{%)", source), path.name
        assert "://" not in source, path.name


def test_a_message_about_an_incident_needs_an_absolute_link(world):
    incident = world.file(restricted=True)
    for link in ("", f"/incidents/{incident.pk}/", "https://elsewhere.example/incidents/"):
        with pytest.raises(ValueError):
            render_message("incident_filed", {"link": link}, incident=incident)


@pytest.mark.parametrize("name", sorted(INCIDENT_TRIGGERS))
def test_each_incident_message_renders_both_parts_with_absolute_links(world, name):
    mark = last_pk()
    with _Rendered() as rendered:
        incident = world.file(restricted=False)
        INCIDENT_TRIGGERS[name](world, incident)
    assert {f"email/{name}.txt", f"email/{name}.html", f"email/{name}_subject.txt"} <= (
        rendered.names
    )
    messages = queued_since(mark)
    assert messages
    for message in messages:
        subject, text, html = parts_of(message)
        assert_well_formed(subject, text, html)
        assert incident.reference in subject and incident.reference in text
        assert incident.reference in html


@pytest.mark.parametrize("name", sorted(OTHER_TRIGGERS))
def test_each_other_message_renders_both_parts_with_absolute_links(world, name):
    mark = last_pk()
    with _Rendered() as rendered:
        OTHER_TRIGGERS[name](world)
    assert {f"email/{name}.txt", f"email/{name}.html", f"email/{name}_subject.txt"} <= (
        rendered.names
    )
    messages = queued_since(mark)
    assert messages
    for message in messages:
        assert_well_formed(*parts_of(message))


def test_a_message_about_an_incident_links_to_it_absolutely(world):
    incident = world.file(restricted=False)
    message = Notification.objects.get(event="incident.filed", recipient=world.other_lead)
    link = f"{django_settings.SITE_URL}/incidents/{incident.pk}/"
    assert link in message.body and f'href="{link}"' in message.html_body


# --- Restricted incidents --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INCIDENT_TRIGGERS))
def test_a_restricted_incident_is_named_by_its_reference_and_a_link_only(world, name):
    mark = last_pk()
    with _Rendered() as rendered:
        incident = world.file(restricted=True)
        INCIDENT_TRIGGERS[name](world, incident)
    # Its own templates never even see the facts: the stand-in is rendered instead.
    assert not {n for n in rendered.names if n.startswith(f"email/{name}")}
    messages = queued_since(mark)
    assert messages
    for message in messages:
        subject, text, html = parts_of(message)
        assert_well_formed(subject, text, html)
        for part in (subject, text, html):
            assert PLANTED not in part.lower(), part
            # Its severity, and what its disclosures say (audience, regime), are facts too.
            for fact in ("high", "critical", "gdpr", "regulator", "supervisory"):
                assert fact not in part.lower(), (fact, part)
            assert incident.reference in part
        assert django_settings.SITE_URL + "/" in text


def test_a_restricted_incident_message_links_to_the_page_it_is_about(world):
    incident = world.file(restricted=True)
    trigger_evidence_verified(world, incident)
    message = Notification.objects.get(event="evidence.verified")
    item = incident.evidence.get()
    assert f"{django_settings.SITE_URL}/evidence/{item.pk}/" in message.body
    assert f'href="{django_settings.SITE_URL}/evidence/{item.pk}/"' in message.html_body


# --- Webhooks ---------------------------------------------------------------------


def test_a_webhook_carries_the_text_of_the_message(world):
    from notifications.models import WebhookDelivery, WebhookEvent
    from notifications.services import webhook_endpoint_create

    webhook_endpoint_create(
        name="pager", url="http://127.0.0.1:9/hook", events=[WebhookEvent.AUDIT_CHAIN_BROKEN]
    )
    trigger_audit_chain_broken(world)
    delivery = WebhookDelivery.objects.get()
    mail_message = Notification.objects.filter(event="audit.chain_broken").first()
    assert delivery.subject == mail_message.subject
    assert delivery.text == mail_message.body
    assert_links_absolute(delivery.payload()["text"], "webhook text")


# --- Hostile content ----------------------------------------------------------------


def test_the_html_part_escapes_a_hostile_incident_title(world):
    incident = world.file(restricted=False, title=f"Defaced {HOSTILE} & more")
    message = Notification.objects.get(event="incident.filed", recipient=world.other_lead)
    assert "<script" not in message.html_body
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; more" in message.html_body
    # The text part is text: the title as it was written, nothing to escape.
    assert f"Defaced {HOSTILE} & more" in message.body
    assert incident.reference in message.subject


def test_the_html_part_escapes_a_hostile_browser_name(world):
    person = world.responder
    LoginAttempt.objects.create(
        username=person.username, user=person, succeeded=True, second_factor_at=timezone.now()
    )
    attempt = LoginAttempt.objects.create(
        username=person.username,
        user=person,
        succeeded=True,
        ip="203.0.113.200",
        user_agent=f"Evil/1.0 {HOSTILE}",
    )
    LoginAttempt.objects.filter(user=person, ip__isnull=True).update(ip="198.51.100.7")
    account_services.login_attempt_complete(user=person, attempt_id=attempt.pk)
    message = Notification.objects.get(event="account.new_login_address")
    assert "<script" not in message.html_body
    assert "&lt;script&gt;" in message.html_body
    assert HOSTILE in message.body


def test_a_subject_is_one_line_whatever_the_context():
    subject, _, _ = render_message(
        "resource_spike", {"over": ["cpu\r\nBcc: victim@example.org", "memory\n"], "seconds": 5}
    )
    assert "\n" not in subject and "\r" not in subject
    assert subject == "[Cordon] Resource spike: cpu Bcc: victim@example.org, memory for 5 s"


# --- The password reset mail, sent at once by Django's form ---------------------------


def test_the_password_reset_mail_has_both_parts_and_absolute_links(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.responder.set_password(PASSWORD)
    world.responder.save()
    with _Rendered() as rendered:
        Client().post("/accounts/password/reset/", {"email": world.responder.email})
    assert {"email/password_reset.txt", "email/password_reset.html"} <= rendered.names
    (sent,) = mail.outbox
    assert_well_formed(*parts_of_mail(sent))
    assert django_settings.SITE_URL + "/accounts/password/reset/" in sent.body
