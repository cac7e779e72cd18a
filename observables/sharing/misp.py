"""MISP events of an incident's observables (pymisp's MISPEvent and attributes), and the
observables a MISP event holds.

Out: one attribute per observable, `to_ids` when it is an IOC, tagged with its TLP
(MISP's tlp taxonomy, TLP 2.0 names) and PAP; the event is tagged with the highest TLP
it holds and its distribution is "your organisation only".

In: a MISP event as MISP exports it (`{"Event": {…}}`) or the bare event. Attribute
types MISP does not define are refused; MISP types with no Cordon counterpart (a
comment, a link) are skipped and listed. Attributes inside MISP objects count too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.marking import PAP, TLP
from observables.models import Observable
from observables.services import ObservableInput
from observables.sharing.stix import ImportRefused, Parsed
from observables.values import ObservableType

if TYPE_CHECKING:
    from pymisp import MISPAttribute, MISPEvent

# pymisp is imported where it is used: it takes a second to import (its galaxies and
# their JSON Schema checkers), which every web worker would otherwise pay at start.

T = ObservableType
ORGANISATION_ONLY = 0
THREAT_LEVEL = {"critical": 1, "high": 1, "medium": 2, "low": 3}
ANALYSIS_ONGOING = 1
# Cordon type -> MISP attribute type.
MISP_TYPES: dict[str, str] = {
    T.IPV4: "ip-dst",
    T.IPV6: "ip-dst",
    T.CIDR: "ip-dst",
    T.DOMAIN: "domain",
    T.HOSTNAME: "hostname",
    T.URL: "url",
    T.EMAIL: "email",
    T.MD5: "md5",
    T.SHA1: "sha1",
    T.SHA256: "sha256",
    T.SHA512: "sha512",
    T.FILENAME: "filename",
    T.FILEPATH: "filename",
    T.REGISTRY_KEY: "regkey",
    T.USER_ACCOUNT: "target-user",
    T.USER_AGENT: "user-agent",
    T.ASN: "AS",
    T.CVE: "vulnerability",
    T.MAC: "mac-address",
    T.JA3: "ja3-fingerprint-md5",
    T.MUTEX: "mutex",
    T.PROCESS: "text",
    T.CRYPTO_ADDRESS: "text",
    T.OTHER: "text",
}
# MISP attribute type -> Cordon type ("filename" with a separator is a path; the IP
# types are told apart by their value).
CORDON_TYPES: dict[str, str | None] = {
    "ip-dst": T.IPV4,
    "ip-src": T.IPV4,
    "domain": T.DOMAIN,
    "hostname": T.HOSTNAME,
    "url": T.URL,
    "uri": T.URL,
    "link": None,
    "email": T.EMAIL,
    "email-src": T.EMAIL,
    "email-dst": T.EMAIL,
    "md5": T.MD5,
    "sha1": T.SHA1,
    "sha256": T.SHA256,
    "sha512": T.SHA512,
    "filename": T.FILENAME,
    "regkey": T.REGISTRY_KEY,
    "target-user": T.USER_ACCOUNT,
    "user-agent": T.USER_AGENT,
    "AS": T.ASN,
    "vulnerability": T.CVE,
    "mac-address": T.MAC,
    "ja3-fingerprint-md5": T.JA3,
    "mutex": T.MUTEX,
    "btc": T.CRYPTO_ADDRESS,
    "xmr": T.CRYPTO_ADDRESS,
    "text": T.OTHER,
}
MISP_TLP = {str(value): f"tlp:{value}" for value in TLP.values}
TLP_BY_TAG = {tag: value for value, tag in MISP_TLP.items()} | {"tlp:white": TLP.CLEAR}
PAP_BY_TAG = {f"pap:{value}": value for value in PAP.values} | {"pap:white": PAP.CLEAR}


def _attribute_type(observable: Observable) -> str:
    if observable.type == T.JA3 and len(observable.normalized_value) != 32:
        return "text"  # a JA4 fingerprint is not an MD5
    return MISP_TYPES[observable.type]


def build_event(*, incident, observables: list[Observable], highest: str, info: str) -> MISPEvent:
    from pymisp import MISPEvent

    event = MISPEvent()
    event.info = info
    event.distribution = ORGANISATION_ONLY
    event.threat_level_id = THREAT_LEVEL.get(incident.severity, 4)
    event.analysis = ANALYSIS_ONGOING
    event.set_date(incident.discovered_at or incident.created_at)
    event.add_tag(MISP_TLP[highest])
    event.add_tag(f'cordon:incident="{incident.reference}"')
    for observable in observables:
        comment = observable.description
        if observable.type in (T.PROCESS, T.CRYPTO_ADDRESS):
            comment = f"{observable.get_type_display()}. {comment}".strip()
        attribute: MISPAttribute = event.add_attribute(  # type: ignore[assignment]
            _attribute_type(observable),
            observable.normalized_value,
            to_ids=observable.is_ioc,
            comment=comment,
            disable_correlation=observable.ignore_for_correlation,
        )
        first, last = observable.first_seen, observable.last_seen
        if first:
            attribute.first_seen = first
        if last and (first is None or last >= first):
            attribute.last_seen = last
        attribute.add_tag(MISP_TLP[observable.tlp])
        attribute.add_tag(f"PAP:{observable.pap.upper()}")
        for tag in observable.tags:
            attribute.add_tag(tag)
    return event


def dumps(event: MISPEvent) -> bytes:
    return json.dumps({"Event": json.loads(event.to_json())}, indent=2).encode()


def _listed(container: dict, key: str) -> list:
    """`container[key]` when it is a list (or absent); anything else refuses the event."""
    value = container.get(key) or []
    if not isinstance(value, list):
        raise ImportRefused(f"A MISP event's {key} must be a list.")
    return value


def _tag_names(container: dict) -> list[str]:
    return [str(tag.get("name", "")) for tag in _listed(container, "Tag") if isinstance(tag, dict)]


def _markings(names: list[str]) -> tuple[str | None, str | None, list[str]]:
    tlp = pap = None
    rest = []
    for name in names:
        lowered = name.lower().replace('"', "")
        if lowered in TLP_BY_TAG:
            tlp = str(TLP_BY_TAG[lowered])
        elif lowered in PAP_BY_TAG:
            pap = str(PAP_BY_TAG[lowered])
        elif name.strip() and len(name) <= 64:
            rest.append(name.strip())
    return tlp, pap, rest


def _cordon_type(attribute_type: str, value: str) -> str | None:
    type_ = CORDON_TYPES.get(attribute_type)
    if type_ == T.IPV4:
        if "/" in value:
            return T.CIDR
        return T.IPV6 if ":" in value else T.IPV4
    if type_ == T.FILENAME and ("/" in value or "\\" in value):
        return T.FILEPATH
    return type_


def parse_event(data: dict) -> Parsed:
    """The observables of a MISP event, or ImportRefused saying what is wrong with it."""
    event = data.get("Event", data) if isinstance(data, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("info"), str):
        raise ImportRefused('This is not a MISP event (an object with "info" and attributes).')
    attributes = list(_listed(event, "Attribute"))
    for obj in _listed(event, "Object"):
        if isinstance(obj, dict):
            attributes.extend(_listed(obj, "Attribute"))
    event_tlp, event_pap, _ = _markings(_tag_names(event))
    from pymisp import MISPEvent
    from pymisp.abstract import describe_types

    known = set(describe_types["types"])
    unknown = {
        str(attribute.get("type") or "(none)")
        for attribute in attributes
        if isinstance(attribute, dict)
        and (not isinstance(attribute.get("type"), str) or attribute.get("type") not in known)
    }
    if unknown:
        raise ImportRefused(f"Unknown MISP attribute types: {', '.join(sorted(unknown))}.")
    try:  # pymisp's own reading: values and tags in the shape MISP gives them
        MISPEvent().load({"Event": event})
    except Exception as error:  # pymisp raises several kinds on bad input
        raise ImportRefused(f"This MISP event does not load: {error}") from error
    items, skipped = [], []
    for number, attribute in enumerate(attributes, start=1):
        if not isinstance(attribute, dict):
            raise ImportRefused(f"Attribute {number} is not an object.")
        attribute_type, value = str(attribute.get("type", "")), attribute.get("value")
        type_ = _cordon_type(attribute_type, str(value))
        if type_ is None or not isinstance(value, str):
            skipped.append(f"attribute {number}: {attribute_type}")
            continue
        tlp, pap, tags = _markings(_tag_names(attribute))
        items.append(
            ObservableInput(
                type=type_,
                value=value,
                tlp=tlp or event_tlp,
                pap=pap or event_pap,
                is_ioc=bool(attribute.get("to_ids")),
                tags=tags[:20] or None,
                description=str(attribute.get("comment") or "")[:10_000] or None,
            )
        )
    return Parsed(items=items, skipped=skipped)
