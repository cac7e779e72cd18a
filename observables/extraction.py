"""Values proposed from an incident's text: its description, its timeline entries and the
text evidence it holds (log files), found by ioc-finder (defanged values refanged),
each with the type Cordon guesses, checked against MISP's warning lists (known-benign
values: public resolvers, the most visited sites, cloud ranges…; pymispwarninglists,
offline) and against what the incident already holds.

Nothing here writes: the analyst ticks which proposals to add (observables.views_extract),
and those go through observables.services.observables_add like any other.

Evidence bytes are read through the evidence app's store, only for people who may have
them (evidence.selectors.may_have_bytes), only from verified items not disposed of,
and only the first EVIDENCE_READ_BYTES of each; the whole text searched is bounded.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from evidence.models import EvidenceItem, Kind, Status
from evidence.selectors import incident_evidence, may_have_bytes
from evidence.storage import evidence_store
from incidents.models import Incident
from observables.selectors import incident_observables
from observables.values import ObservableType, normalise, value_digest

logger = logging.getLogger(__name__)
# ioc-finder logs every call at INFO, with the length of the text: not for our logs.
logging.getLogger("ioc_finder").setLevel(logging.WARNING)
T = ObservableType

EVIDENCE_READ_BYTES = 256 * 1024
MAX_TEXT_CHARACTERS = 1024 * 1024
MAX_EVIDENCE_ITEMS = 20
MAX_PROPOSALS = 1000
TEXT_SUFFIXES = (".log", ".txt", ".csv", ".json", ".eml", ".evtx.xml", ".xml", ".ndjson")
# ioc-finder's kinds -> Cordon types (the hashes, addresses, names and ids it finds).
FOUND_TYPES = {
    "urls": T.URL,
    "domains": T.DOMAIN,
    "ipv4s": T.IPV4,
    "ipv6s": T.IPV6,
    "ipv4_cidrs": T.CIDR,
    "email_addresses": T.EMAIL,
    "md5s": T.MD5,
    "sha1s": T.SHA1,
    "sha256s": T.SHA256,
    "sha512s": T.SHA512,
    "cves": T.CVE,
    "asns": T.ASN,
    "mac_addresses": T.MAC,
    "registry_key_paths": T.REGISTRY_KEY,
    "file_paths": T.FILEPATH,
    "user_agents": T.USER_AGENT,
    "bitcoin_addresses": T.CRYPTO_ADDRESS,
    "monero_addresses": T.CRYPTO_ADDRESS,
}


@dataclass
class TextSource:
    """A piece of the incident's text and where it is from."""

    label: str
    text: str
    evidence: EvidenceItem | None = None


@dataclass
class Proposal:
    type: str
    value: str
    normalized: str
    found_in: list[str] = field(default_factory=list)
    evidence_id: int | None = None
    benign: list[str] = field(default_factory=list)
    existing: bool = False

    @property
    def key(self) -> str:
        """What the form posts back for this proposal (no tab can be in a value)."""
        return f"{self.type}\t{self.evidence_id or ''}\t{self.value}"

    @property
    def ticked(self) -> bool:
        return not (self.benign or self.existing)


@functools.lru_cache(maxsize=1)
def _warning_lists():
    from pymispwarninglists import WarningLists

    return WarningLists(slow_search=False)


def benign_lists(value: str) -> list[str]:
    """The names of the MISP warning lists that hold `value` (known-benign values)."""
    try:
        found = _warning_lists().search(value)
    except (ValueError, TypeError):  # a value some list's matcher cannot compare
        return []
    return sorted({warning_list.name for warning_list in found})


def _read_text(item: EvidenceItem) -> str:
    with evidence_store().open(item.storage_key) as stream:
        data = stream.read(EVIDENCE_READ_BYTES)
    return data.decode("utf-8", errors="replace")


def is_text_evidence(item: EvidenceItem) -> bool:
    name = (item.original_name or "").lower()
    return item.kind == Kind.LOG or name.endswith(TEXT_SUFFIXES)


def text_sources(*, user, incident: Incident) -> list[TextSource]:
    """The incident's description, timeline entries and readable text evidence."""
    sources = []
    if incident.description:
        sources.append(TextSource("description", incident.description))
    for entry in incident.timeline.order_by("occurred_at", "id"):
        if entry.body:
            label = f"timeline {entry.occurred_at:%Y-%m-%d %H:%M}"
            sources.append(TextSource(label, entry.body))
    if may_have_bytes(user):
        items = [
            item
            for item in incident_evidence(user=user, incident=incident)
            if item.status == Status.VERIFIED and not item.is_disposed and is_text_evidence(item)
        ][:MAX_EVIDENCE_ITEMS]
        for item in items:
            try:
                text = _read_text(item)
            except OSError:
                logger.warning("evidence %s could not be read for extraction", item.pk)
                continue
            sources.append(TextSource(f"evidence #{item.pk} {item.original_name}", text, item))
    return sources


def _found(text: str) -> list[tuple[str, str]]:
    from ioc_finder import find_iocs  # its grammars take a quarter second to build

    results = find_iocs(text, included_ioc_types=list(FOUND_TYPES))
    pairs: list[tuple[str, str]] = []
    for kind, values in results.items():
        if isinstance(values, dict):  # kinds found per sub-kind (none of those used here)
            continue
        pairs.extend((FOUND_TYPES[kind], _trimmed(kind, value)) for value in values)
    return pairs


def _trimmed(kind: str, value: str) -> str:
    """A URL without the sentence's punctuation ioc-finder keeps at its end (`…/login;`),
    and without a closing bracket it does not open."""
    if kind != "urls":
        return value
    value = value.rstrip(".,;:!?'\"")
    while value.endswith(")") and value.count(")") > value.count("("):
        value = value[:-1].rstrip(".,;:!?'\"")
    return value


def propose(*, user, incident: Incident, sources: list[TextSource]) -> list[Proposal]:
    """Every value found in `sources`, once per type and normalised value, with where
    it was found, whether a warning list knows it, whether the incident holds it."""
    proposals: dict[tuple[str, str], Proposal] = {}
    budget = MAX_TEXT_CHARACTERS
    for source in sources:
        text = source.text[:budget]
        budget -= len(text)
        for type_, value in _found(text):
            try:
                normalized = normalise(type_, value)
            except ValidationError:
                continue
            key = (type_, normalized)
            if key not in proposals:
                if len(proposals) >= MAX_PROPOSALS:
                    break
                proposals[key] = Proposal(
                    type=type_,
                    value=value,
                    normalized=normalized,
                    evidence_id=source.evidence.pk if source.evidence else None,
                )
            if source.label not in proposals[key].found_in:
                proposals[key].found_in.append(source.label)
        if budget <= 0:
            break
    # "Already on the incident" only for what the person may see of it (a reporter sees
    # only their own observables).
    held = set(
        incident_observables(user=user, incident=incident)
        .filter(value_digest__in=[value_digest(normalized) for _, normalized in proposals])
        .values_list("type", "normalized_value")
    )
    for proposal in proposals.values():
        proposal.existing = (proposal.type, proposal.normalized) in held
        proposal.benign = benign_lists(proposal.normalized)
    return sorted(proposals.values(), key=lambda p: (p.type, p.normalized))
