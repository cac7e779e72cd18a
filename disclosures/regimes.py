"""What each regime's law requires a notice to say, as text sections with blanks and
as a checklist of items that must be filled in before the notice is complete.

GDPR Art. 33(3), GDPR Art. 34(2), NIS2 Art. 23(4), SEC Form 8-K Item 1.05 and the
HIPAA breach notification content rule (45 CFR 164.404(c)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from disclosures.models import Audience, Regime

# A marked blank: "[TO BE CONFIRMED: what]", also typed by hand without the colon or in
# another case ("[to be confirmed]"): anything so marked is not confirmed yet.
BLANK_PATTERN = re.compile(r"\[\s*TO BE CONFIRMED\b[^\]]*\]", re.IGNORECASE)


def blank(what: str) -> str:
    """A clearly marked gap in a draft, for a fact nobody has confirmed yet."""
    return f"[TO BE CONFIRMED: {what}]"


@dataclass(frozen=True)
class ChecklistItem:
    """One thing a notice must say. It is missing while any of its blanks is left in the
    text, or when the heading of its section has been removed."""

    key: str
    label: str
    blanks: tuple[str, ...] = ()
    heading: str = ""

    def is_missing(self, body: str) -> bool:
        if self.heading and self.heading not in body:
            return True
        return any(marker in body for marker in self.blanks)


# Blanks of the facts every notice carries (disclosures.prefill fills what is known).
DISCOVERY_METHOD = blank("how the incident was discovered")
DISCOVERY_TIME = blank("when the incident was discovered")
WHAT_HAPPENED = blank("what happened, in plain words")
SYSTEMS = blank("which systems were affected, from when to when")
IMPACT_START = blank("when the impact started")
DATA = blank(
    "what data was accessed or taken, and whether it included personal data, "
    "passwords or payment card data"
)
# The questions every notice answers about the data: a category the incident does not
# record is not known to be absent, so it is asked, never answered "no".
DATA_PII = blank("whether personal data (PII) was involved")
DATA_CREDENTIALS = blank("whether passwords or other credentials were involved")
DATA_PAYMENT_CARDS = blank("whether payment card data was involved")
DATA_OTHER = blank("what the other data involved is")
PEOPLE = blank("estimated number of people affected")
MEASURES = blank("what has been done to stop the incident and limit the harm")
ADVICE = blank("what the recipients should do")

COMMON_ITEMS = (
    ChecklistItem(
        "discovery", "How and when it was discovered", (DISCOVERY_METHOD, DISCOVERY_TIME)
    ),
    ChecklistItem("what_happened", "What happened", (WHAT_HAPPENED,)),
    ChecklistItem("systems", "Systems affected, when and for how long", (SYSTEMS, IMPACT_START)),
    ChecklistItem(
        "data",
        "What data was involved (PII, passwords, payment cards, every category recorded)",
        (DATA, DATA_PII, DATA_CREDENTIALS, DATA_PAYMENT_CARDS, DATA_OTHER),
    ),
    ChecklistItem("people", "Estimated number of people affected", (PEOPLE,)),
    ChecklistItem("measures", "What has been done", (MEASURES,)),
    ChecklistItem("advice", "What the recipients should do", (ADVICE,)),
)

# --- GDPR ------------------------------------------------------------------------

GDPR33_HEADING = "GDPR Article 33(3) particulars"
GDPR_SUBJECT_CATEGORIES = blank("categories of data subjects concerned (customers, staff, …)")
GDPR_RECORDS = blank("approximate number of personal data records concerned")
GDPR_DPO = blank("name and contact details of the data protection officer or other contact point")
GDPR_CONSEQUENCES = blank("likely consequences of the breach for the people concerned")
GDPR_PROPOSED = blank("measures proposed to address the breach and mitigate its adverse effects")

GDPR34_HEADING = "What this means for you and who to contact"

# --- NIS2 ------------------------------------------------------------------------

NIS2_HEADING = "NIS2 Article 23 reporting"
NIS2_MALICIOUS = blank(
    "whether the incident is suspected to be caused by unlawful or malicious acts"
)
NIS2_CROSS_BORDER = blank("whether the incident could have a cross-border impact")
NIS2_ASSESSMENT = blank("initial assessment: severity and impact")
NIS2_IOCS = blank("indicators of compromise, where available")
NIS2_ROOT_CAUSE = blank("type of threat or root cause")
NIS2_MITIGATION = blank("applied and ongoing mitigation measures")

# --- SEC -------------------------------------------------------------------------

SEC_HEADING = "Item 1.05 Material Cybersecurity Incidents"
SEC_NATURE = blank("material aspects of the nature of the incident")
SEC_SCOPE = blank("material aspects of the scope of the incident")
SEC_TIMING = blank("material aspects of the timing of the incident")
SEC_IMPACT = blank(
    "material impact or reasonably likely material impact on the registrant, "
    "including its financial condition and results of operations"
)

# --- HIPAA -----------------------------------------------------------------------

HIPAA_HEADING = "About this breach of health information"
HIPAA_BREACH_DATE = blank("date of the breach")
HIPAA_PHI_TYPES = blank("types of health information involved (name, date of birth, diagnosis, …)")
HIPAA_CONTACT = blank(
    "contact: toll-free telephone number, e-mail address, web site or postal address"
)


def legal_section(regime: str, *, people: str, data: str) -> str:
    """The text a regime adds to a notice, with blanks for what is not known."""
    if regime == Regime.GDPR_ART33:
        return "\n".join(
            [
                GDPR33_HEADING,
                f"(a) Nature of the breach: {data}",
                f"    Categories of data subjects: {GDPR_SUBJECT_CATEGORIES}",
                f"    Approximate number of data subjects: {people}",
                f"    Approximate number of personal data records: {GDPR_RECORDS}",
                f"(b) Data protection officer or other contact point: {GDPR_DPO}",
                f"(c) Likely consequences: {GDPR_CONSEQUENCES}",
                "(d) Measures taken: see “What we have done” above.",
                f"    Measures proposed, including to mitigate adverse effects: {GDPR_PROPOSED}",
            ]
        )
    if regime == Regime.GDPR_ART34:
        return "\n".join(
            [
                GDPR34_HEADING,
                f"Likely consequences for you: {GDPR_CONSEQUENCES}",
                f"What we are doing about it: {GDPR_PROPOSED}",
                f"Our data protection officer: {GDPR_DPO}",
            ]
        )
    if regime == Regime.NIS2:
        return "\n".join(
            [
                NIS2_HEADING,
                "Early warning (within 24 hours of becoming aware):",
                f"- Suspected unlawful or malicious act: {NIS2_MALICIOUS}",
                f"- Possible cross-border impact: {NIS2_CROSS_BORDER}",
                "Incident notification (within 72 hours of becoming aware):",
                f"- {NIS2_ASSESSMENT}",
                f"- {NIS2_IOCS}",
                "Final report (within one month of the notification):",
                "- Detailed description of the incident, its severity and impact: see above.",
                f"- {NIS2_ROOT_CAUSE}",
                f"- {NIS2_MITIGATION}",
                "- Cross-border impact: as stated in the early warning, where applicable.",
            ]
        )
    if regime == Regime.SEC_8K:
        return "\n".join(
            [
                SEC_HEADING,
                f"Nature: {SEC_NATURE}",
                f"Scope: {SEC_SCOPE}",
                f"Timing: {SEC_TIMING}",
                f"Material impact: {SEC_IMPACT}",
                "Where any of this information has not been determined or is unavailable at the "
                "time of filing, say so here and file an amendment within four business days "
                "after it is determined.",
            ]
        )
    if regime == Regime.HIPAA:
        return "\n".join(
            [
                HIPAA_HEADING,
                f"Date of the breach: {HIPAA_BREACH_DATE}",
                "Date of discovery: see “How and when we found out” above.",
                f"Types of health information involved: {HIPAA_PHI_TYPES}",
                "Steps you should take to protect yourself: see “What you should do” above.",
                "What we are doing to investigate, limit the harm and prevent it happening "
                "again: see “What we have done” above.",
                f"How to contact us: {HIPAA_CONTACT}",
            ]
        )
    return ""


REGIME_ITEMS: dict[str, tuple[ChecklistItem, ...]] = {
    Regime.GDPR_ART33: (
        ChecklistItem(
            "gdpr_nature",
            "Art. 33(3)(a) categories and approximate numbers of people and records",
            (GDPR_SUBJECT_CATEGORIES, GDPR_RECORDS),
            GDPR33_HEADING,
        ),
        ChecklistItem("gdpr_dpo", "Art. 33(3)(b) DPO or other contact point", (GDPR_DPO,)),
        ChecklistItem(
            "gdpr_consequences", "Art. 33(3)(c) likely consequences", (GDPR_CONSEQUENCES,)
        ),
        ChecklistItem(
            "gdpr_measures", "Art. 33(3)(d) measures taken or proposed", (GDPR_PROPOSED,)
        ),
    ),
    Regime.GDPR_ART34: (
        ChecklistItem(
            "gdpr_consequences", "Likely consequences", (GDPR_CONSEQUENCES,), GDPR34_HEADING
        ),
        ChecklistItem("gdpr_measures", "Measures taken or proposed", (GDPR_PROPOSED,)),
        ChecklistItem("gdpr_dpo", "DPO or other contact point", (GDPR_DPO,)),
    ),
    Regime.NIS2: (
        ChecklistItem(
            "nis2_early_warning",
            "Early warning: malicious act suspected? cross-border impact?",
            (NIS2_MALICIOUS, NIS2_CROSS_BORDER),
            NIS2_HEADING,
        ),
        ChecklistItem(
            "nis2_notification",
            "Notification: initial assessment, indicators of compromise",
            (NIS2_ASSESSMENT, NIS2_IOCS),
        ),
        ChecklistItem(
            "nis2_final_report",
            "Final report: root cause, mitigation measures",
            (NIS2_ROOT_CAUSE, NIS2_MITIGATION),
        ),
    ),
    Regime.SEC_8K: (
        ChecklistItem(
            "sec_nature_scope_timing",
            "Material aspects of nature, scope and timing",
            (SEC_NATURE, SEC_SCOPE, SEC_TIMING),
            SEC_HEADING,
        ),
        ChecklistItem("sec_impact", "Material impact on the registrant", (SEC_IMPACT,)),
    ),
    Regime.HIPAA: (
        ChecklistItem(
            "hipaa_dates",
            "Date of the breach and of discovery",
            (HIPAA_BREACH_DATE,),
            HIPAA_HEADING,
        ),
        ChecklistItem("hipaa_phi", "Types of health information", (HIPAA_PHI_TYPES,)),
        ChecklistItem("hipaa_contact", "Contact procedures", (HIPAA_CONTACT,)),
    ),
    Regime.NONE: (),
}


@dataclass(frozen=True)
class ChecklistEntry:
    key: str
    label: str
    done: bool


OTHER_BLANKS = "other_blanks"


def checklist(regime: str, body: str) -> list[ChecklistEntry]:
    """Every item the notice must contain, and whether the text has it yet; and, while
    the text holds a blank no item names (typed by hand, or left by a template), one
    more entry for those: the checklist is complete only when no blank is left."""
    items = (*COMMON_ITEMS, *REGIME_ITEMS.get(regime, ()))
    entries = [ChecklistEntry(item.key, item.label, not item.is_missing(body)) for item in items]
    known = {marker for item in items for marker in item.blanks}
    others = [marker for marker in open_blanks(body) if marker not in known]
    if others:
        entries.append(ChecklistEntry(OTHER_BLANKS, "Every other blank in the text", False))
    return entries


# --- Who each regime's notice is for ----------------------------------------------
#
# Each regime is a law's notice to one kind of recipient. A draft under it to anyone
# else would carry the wrong law's text and clocks, so the pair is refused:
# - GDPR Art. 33: notification of the supervisory authority: the regulator.
# - GDPR Art. 34: communication to the data subjects: the people affected (users).
# - NIS2 Art. 23(4): early warning, notification and final report to the CSIRT or the
#   competent authority: the regulator.
# - SEC Form 8-K Item 1.05: a filing with the SEC: the regulator.
# - HIPAA: notice to the individuals (45 CFR 164.404), and to the Secretary of HHS
#   (164.408): users or the regulator.
# Without a regime, any audience.
REGIME_AUDIENCES: dict[str, frozenset[str]] = {
    Regime.GDPR_ART33: frozenset({Audience.REGULATOR}),
    Regime.GDPR_ART34: frozenset({Audience.USERS}),
    Regime.NIS2: frozenset({Audience.REGULATOR}),
    Regime.SEC_8K: frozenset({Audience.REGULATOR}),
    Regime.HIPAA: frozenset({Audience.USERS, Audience.REGULATOR}),
}

REGIME_PURPOSE: dict[str, str] = {
    Regime.GDPR_ART33: "is the notification of the supervisory authority",
    Regime.GDPR_ART34: "is the communication to the people whose data was breached",
    Regime.NIS2: "is the report to the CSIRT or competent authority",
    Regime.SEC_8K: "is a filing with the SEC",
    Regime.HIPAA: "is the notice to the individuals or to the Secretary of HHS",
}


def audience_refusal(*, audience: str, regime: str) -> str:
    """Why a notice under `regime` cannot be addressed to `audience`, or "" if it can."""
    allowed = REGIME_AUDIENCES.get(regime)
    if allowed is None or audience in allowed:
        return ""
    names = " or ".join(
        Audience(value).label.split(" (")[0].lower() for value in Audience if value in allowed
    )
    return (
        f"{Regime(regime).label} {REGIME_PURPOSE[regime]}: address it to the {names}, "
        f"or choose another regime for {Audience(audience).label.split(' (')[0].lower()}."
    )


def open_blanks(body: str) -> list[str]:
    """Every marked blank still in the text, in order."""
    return BLANK_PATTERN.findall(body)


def distinct_blanks(body: str) -> list[tuple[str, int]]:
    """Each different blank still in the text, in the order it first appears, and how
    many times it does: what the page lists and a refusal names."""
    counts: dict[str, int] = {}
    for marker in open_blanks(body):
        counts[marker] = counts.get(marker, 0) + 1
    return list(counts.items())
