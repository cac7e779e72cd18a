"""A new draft's text, written in plain language from what the incident records, with
clearly marked blanks ([TO BE CONFIRMED: …]) where a fact is not known yet.

The frame comes from the leads' DisclosureTemplate for the audience and regime, or
the default below. Templates use `$placeholders` (string.Template): the facts are
substituted as text, so a template can never reach into objects or run code.
"""

from __future__ import annotations

import datetime as dt
from string import Template

from django.utils import timezone

from core.formatting import duration_text, utc_text
from disclosures import regimes
from disclosures.models import Audience, DisclosureTemplate, Regime
from incidents.models import ContainmentState, DataCategory, Incident

PLACEHOLDERS = (
    "heading",
    "reference",
    "title",
    "what_happened",
    "discovery",
    "systems",
    "data",
    "people",
    "measures",
    "advice",
    "legal",
)

DEFAULT_FRAME = """$heading

What happened
$what_happened

How and when we found out
$discovery

Which systems were affected
$systems

What information was involved
$data

How many people are affected
$people

What we have done
$measures

What you should do
$advice

$legal
"""

HEADINGS: dict[str, str] = {
    Regime.GDPR_ART33: "Personal data breach notification (GDPR Article 33)",
    Regime.GDPR_ART34: "Important information about your personal data",
    Regime.NIS2: "Significant incident report (NIS2 Article 23)",
    Regime.SEC_8K: "Form 8-K, Item 1.05: Material Cybersecurity Incident",
    Regime.HIPAA: "Notice of a breach of health information",
}

# Advice to people whose data was involved, by category.
USER_ADVICE = {
    DataCategory.CREDENTIALS: (
        "Change your password for our service, and anywhere else you used the same password. "
        "Turn on two-step verification where you can."
    ),
    DataCategory.PAYMENT_CARDS: (
        "Check your card statements and tell your bank about any payment you do not recognise."
    ),
    DataCategory.PII: (
        "Be wary of e-mails, calls or messages that mention this incident or ask for personal "
        "details. We will never ask you for your password."
    ),
    DataCategory.FINANCIAL: "Watch your bank accounts for transactions you do not recognise.",
    DataCategory.HEALTH: (
        "Check statements from your health insurer or provider for services you did not receive."
    ),
}

# The three questions every notice answers about the data, the category that answers
# each, and the blank asked while the incident does not record it (never a "no": an
# unticked box is not a confirmed absence).
SENSITIVE_QUESTIONS = (
    (DataCategory.PII, "Personal data (PII)", regimes.DATA_PII),
    (DataCategory.CREDENTIALS, "Passwords or other credentials", regimes.DATA_CREDENTIALS),
    (DataCategory.PAYMENT_CARDS, "Payment card data", regimes.DATA_PAYMENT_CARDS),
)


def when(moment: dt.datetime | None) -> str:
    return utc_text(moment)


def _discovery(incident: Incident) -> str:
    discovered = when(incident.discovered_at) or regimes.DISCOVERY_TIME
    method = incident.discovery_method.strip() or regimes.DISCOVERY_METHOD
    return (
        f"We discovered the incident on {discovered}. How it was discovered: {method}\n"
        f"We became aware that it was a security incident on {when(incident.aware_at)}."
    )


def _systems(incident: Incident, now: dt.datetime) -> str:
    lines = []
    for system in incident.systems.all():
        start = when(system.impact_start) or regimes.IMPACT_START
        if system.impact_start and system.impact_end:
            span = (
                f"from {start} to {when(system.impact_end)} "
                f"({duration_text(system.impact_end - system.impact_start)})"
            )
        elif system.impact_start:
            span = (
                f"from {start}, still ongoing ({duration_text(now - system.impact_start)} so far)"
            )
        else:
            span = f"from {start}"
        lines.append(f"- {system.name} ({system.get_kind_display().lower()}): affected {span}.")
    return "\n".join(lines) or regimes.SYSTEMS


def _named(category: DataCategory) -> str:
    return "Other data" if category == DataCategory.OTHER else category.label


def _data(incident: Incident) -> str:
    """The categories the incident records, each said; the three questions answered
    "yes" where recorded and asked (a blank) where not; "other" data named as a blank."""
    recorded = {DataCategory(value) for value in incident.data_categories}
    if not recorded:
        return regimes.DATA
    categories = [category for category in DataCategory if category in recorded]
    involved = ", ".join(_named(category) for category in categories)
    asked = {category for category, _label, _blank in SENSITIVE_QUESTIONS}
    answers = [
        f"- {label}: {'yes' if category in recorded else unknown}"
        for category, label, unknown in SENSITIVE_QUESTIONS
    ]
    answers += [
        f"- {_named(category)}: yes"
        + (f" ({regimes.DATA_OTHER})" if category == DataCategory.OTHER else "")
        for category in categories
        if category not in asked
    ]
    return f"The information involved: {involved}.\n" + "\n".join(answers)


def _people(incident: Incident) -> str:
    if incident.estimated_affected_people is None:
        return regimes.PEOPLE
    return f"About {incident.estimated_affected_people} people (our current estimate)."


def _measures(incident: Incident) -> str:
    lines = []
    if incident.contained_at:
        lines.append(f"The incident was contained on {when(incident.contained_at)}.")
    for system in incident.systems.all():
        if system.containment_state != ContainmentState.ONLINE:
            lines.append(f"- {system.name}: {system.get_containment_state_display().lower()}.")
    return "\n".join(lines) or regimes.MEASURES


def _advice(incident: Incident, audience: str) -> str:
    if audience != Audience.USERS:
        return regimes.ADVICE
    tips = [
        USER_ADVICE[c] for c in DataCategory if c in incident.data_categories and c in USER_ADVICE
    ]
    return "\n".join(f"- {tip}" for tip in tips) or regimes.ADVICE


def facts(incident: Incident, *, audience: str, regime: str, now=None) -> dict[str, str]:
    """Every placeholder's text for this incident, audience and regime."""
    now = now or timezone.now()
    people = _people(incident)
    data = _data(incident)
    heading = HEADINGS.get(regime, "Notice of a security incident")
    return {
        "heading": f"{heading} ({incident.reference})",
        "reference": incident.reference,
        "title": incident.title,
        "what_happened": incident.description.strip() or regimes.WHAT_HAPPENED,
        "discovery": _discovery(incident),
        "systems": _systems(incident, now),
        "data": data,
        "people": people,
        "measures": _measures(incident),
        "advice": _advice(incident, audience),
        "legal": regimes.legal_section(
            regime,
            people=(
                str(incident.estimated_affected_people)
                if incident.estimated_affected_people is not None
                else regimes.PEOPLE
            ),
            data=data.splitlines()[0],
        ),
    }


def frame_for(*, audience: str, regime: str) -> str:
    template = DisclosureTemplate.objects.filter(audience=audience, regime=regime).first()
    return template.body if template else DEFAULT_FRAME


def prefilled_body(incident: Incident, *, audience: str, regime: str, now=None) -> str:
    text = Template(frame_for(audience=audience, regime=regime)).safe_substitute(
        facts(incident, audience=audience, regime=regime, now=now)
    )
    return text.strip() + "\n"
