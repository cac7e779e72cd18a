"""A new draft's text: the incident's facts in plain language, blanks for the unknown,
each regime's legal items, and the checklist of what is still missing."""

import datetime as dt

import pytest

from disclosures import regimes, services
from disclosures.models import Audience, Regime
from disclosures.prefill import prefilled_body
from incidents import services as incident_services

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def known_incident(make_incident, responder):
    incident = make_incident(
        reporter=responder,
        description="An attacker used a stolen password to read the customer database.",
        discovered_at=T0,
        aware_at=T0 + dt.timedelta(hours=2),
        discovery_method="An alert from the database activity monitor.",
        data_categories=["pii", "credentials"],
        estimated_affected_people=1200,
    )
    system = incident_services.system_add(
        incident=incident,
        actor=responder,
        name="crm-db",
        kind="database",
        impact_start=T0 - dt.timedelta(hours=6),
        impact_end=T0 + dt.timedelta(hours=1, minutes=30),
    )
    incident_services.system_change_containment(system=system, actor=responder, state="isolated")
    return incident


def test_known_facts_are_written_out(known_incident):
    body = prefilled_body(known_incident, audience=Audience.USERS, regime=Regime.GDPR_ART34)
    assert "We discovered the incident on 2025-03-01 08:00 UTC" in body
    assert "An alert from the database activity monitor." in body
    assert "crm-db (database): affected from 2025-03-01 02:00 UTC to 2025-03-01 09:30 UTC" in body
    assert "(7 h 30 min)" in body
    assert "Personal data (PII): yes" in body
    assert "Passwords or other credentials: yes" in body
    # Not recorded is not "no": the draft asks, it does not assert.
    assert f"Payment card data: {regimes.DATA_PAYMENT_CARDS}" in body
    assert ": no" not in body
    assert "About 1200 people" in body
    assert "crm-db: isolated." in body
    assert "Change your password" in body
    assert regimes.DISCOVERY_METHOD not in body
    assert regimes.PEOPLE not in body


def test_unknown_facts_are_marked_blanks(incident):
    body = prefilled_body(incident, audience=Audience.REGULATOR, regime=Regime.NONE)
    for marker in (
        regimes.DISCOVERY_TIME,
        regimes.DISCOVERY_METHOD,
        regimes.SYSTEMS,
        regimes.DATA,
        regimes.PEOPLE,
        regimes.MEASURES,
        regimes.ADVICE,
    ):
        assert marker in body
    assert "[TO BE CONFIRMED:" in body


@pytest.mark.parametrize(
    ("regime", "expected"),
    [
        (Regime.GDPR_ART33, "(b) Data protection officer or other contact point"),
        (Regime.NIS2, "Early warning (within 24 hours of becoming aware)"),
        (Regime.SEC_8K, "Item 1.05 Material Cybersecurity Incidents"),
        (Regime.HIPAA, "Types of health information involved"),
    ],
)
def test_each_regime_adds_its_legal_items(incident, regime, expected):
    assert expected in prefilled_body(incident, audience=Audience.REGULATOR, regime=regime)


def test_checklist_shows_what_is_missing_until_the_blanks_are_filled(known_incident):
    body = prefilled_body(known_incident, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33)
    missing = {entry.key for entry in regimes.checklist(Regime.GDPR_ART33, body) if not entry.done}
    assert {"gdpr_dpo", "gdpr_consequences", "gdpr_nature", "advice"} <= missing
    assert "discovery" not in missing and "people" not in missing
    filled = body.replace(regimes.GDPR_DPO, "Dana Privacy, dpo@example.org")
    still = {entry.key for entry in regimes.checklist(Regime.GDPR_ART33, filled) if not entry.done}
    assert "gdpr_dpo" not in still


def test_removing_a_regime_section_counts_as_missing(known_incident):
    body = prefilled_body(known_incident, audience=Audience.REGULATOR, regime=Regime.SEC_8K)
    cut = body.split(regimes.SEC_HEADING)[0]
    missing = {e.key for e in regimes.checklist(Regime.SEC_8K, cut) if not e.done}
    assert "sec_nature_scope_timing" in missing


def test_a_leads_template_frames_new_drafts(incident, lead, responder):
    services.template_save(
        actor=lead,
        audience=Audience.PARTNERS,
        regime=Regime.NONE,
        body="Dear partner,\n\n$what_happened\n\nReference: $reference. Cost: $$0.",
    )
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.PARTNERS, regime=Regime.NONE
    )
    body = disclosure.current_version.body
    assert body.startswith("Dear partner,")
    assert f"Reference: {incident.reference}. Cost: $0." in body


def test_templates_refuse_unknown_placeholders(lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="secret_key"):
        services.template_save(
            actor=lead, audience=Audience.USERS, regime=Regime.NONE, body="Hi $secret_key"
        )


def test_only_leads_edit_templates(responder):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.template_save(
            actor=responder, audience=Audience.USERS, regime=Regime.NONE, body="Hi"
        )


def test_every_recorded_category_is_said_and_the_rest_asked(make_incident, responder):
    incident = make_incident(reporter=responder, data_categories=["financial", "health", "other"])
    body = prefilled_body(incident, audience=Audience.REGULATOR, regime=Regime.NONE)
    assert "The information involved: Health data, Financial data, Other data." in body
    assert "- Financial data: yes" in body
    assert "- Health data: yes" in body
    assert f"- Other data: yes ({regimes.DATA_OTHER})" in body
    assert f"- Personal data (PII): {regimes.DATA_PII}" in body
    assert f"- Passwords or other credentials: {regimes.DATA_CREDENTIALS}" in body
    assert f"- Payment card data: {regimes.DATA_PAYMENT_CARDS}" in body
    assert ": no" not in body


def test_the_data_item_stays_missing_while_a_data_question_is_open(known_incident):
    body = prefilled_body(known_incident, audience=Audience.REGULATOR, regime=Regime.NONE)
    missing = {e.key for e in regimes.checklist(Regime.NONE, body) if not e.done}
    assert "data" in missing
    answered = body.replace(regimes.DATA_PAYMENT_CARDS, "no (checked with the card processor)")
    missing = {e.key for e in regimes.checklist(Regime.NONE, answered) if not e.done}
    assert "data" not in missing


@pytest.mark.parametrize("regime", list(Regime))
def test_the_checklist_is_complete_exactly_when_no_blank_is_left(incident, regime):
    audience = next(iter(regimes.REGIME_AUDIENCES.get(regime, {Audience.PARTNERS})))
    body = prefilled_body(incident, audience=audience, regime=regime)
    body += "\nSigned: [to be confirmed]\n"  # a blank typed by hand, named by no item
    entries = regimes.checklist(regime, body)
    assert regimes.open_blanks(body)
    assert not all(entry.done for entry in entries)
    assert entries[-1].key == regimes.OTHER_BLANKS
    filled = regimes.BLANK_PATTERN.sub("confirmed", body)
    assert not regimes.open_blanks(filled)
    assert all(entry.done for entry in regimes.checklist(regime, filled))
