"""STIX 2.1 bundles of an incident's observables, built with the OASIS `stix2` library,
and the reverse: the observables a bundle holds.

Out: an indicator with a STIX pattern for each IOC, an observed-data over a cyber
observable (SCO) for every other observable, the TLP 2.0 marking definitions in use
(the OASIS extension's fixed objects) on each, and the incident as a report naming
them all. Types STIX has no cyber observable for (user agent, JA3/JA4, cryptocurrency
address, other) travel as `x-cordon-observable`, which Cordon reads back.

In: the bundle must pass `stix2-validator` (schemas and patterns); object types that
STIX 2.1 does not define (other than Cordon's own) are refused, as is a pattern that
does not parse. Indicators (their `=` comparisons), SCOs, vulnerabilities named
CVE-… and Cordon's own objects become observables.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import stix2
from django.utils import timezone
from stix2.properties import StringProperty
from stix2patterns.pattern import Pattern

from core.marking import TLP
from observables.models import Observable
from observables.services import ObservableInput
from observables.values import ObservableType

T = ObservableType
_CORDON_TYPES = frozenset(ObservableType.values)
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
# The OASIS TLP 2.0 marking definitions (cti-stix-common-objects): fixed ids.
TLP2_IDS: dict[str, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 definitions (stix2's own constants) are read too: WHITE is CLEAR.
TLP1_IDS: dict[str, str] = {
    stix2.TLP_WHITE.id: TLP.CLEAR,
    stix2.TLP_GREEN.id: TLP.GREEN,
    stix2.TLP_AMBER.id: TLP.AMBER,
    stix2.TLP_RED.id: TLP.RED,
}
TLP_BY_ID = {**{value: key for key, value in TLP2_IDS.items()}, **TLP1_IDS}
CUSTOM_TYPE = "x-cordon-observable"


@stix2.CustomObservable(
    CUSTOM_TYPE,
    [("observable_type", StringProperty(required=True)), ("value", StringProperty(required=True))],
    id_contrib_props=["observable_type", "value"],
)
class CordonObservable:
    """An observable of a type STIX 2.1 has no cyber observable for."""


def tlp_marking(tlp: str) -> stix2.MarkingDefinition:
    return stix2.MarkingDefinition(
        id=TLP2_IDS[tlp],
        created="2022-10-01T00:00:00.000Z",
        name=TLP(tlp).label,
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": str(tlp)}},
    )


# Cordon type -> (STIX object type, pattern path, SCO properties of the value).
HASHES: dict[str, str] = {T.MD5: "MD5", T.SHA1: "SHA-1", T.SHA256: "SHA-256", T.SHA512: "SHA-512"}
SIMPLE: dict[str, tuple[str, str]] = {
    T.IPV4: ("ipv4-addr", "value"),
    T.IPV6: ("ipv6-addr", "value"),
    T.DOMAIN: ("domain-name", "value"),
    T.HOSTNAME: ("domain-name", "value"),
    T.URL: ("url", "value"),
    T.EMAIL: ("email-addr", "value"),
    T.FILENAME: ("file", "name"),
    T.FILEPATH: ("directory", "path"),
    T.REGISTRY_KEY: ("windows-registry-key", "key"),
    T.USER_ACCOUNT: ("user-account", "account_login"),
    T.MAC: ("mac-addr", "value"),
    T.MUTEX: ("mutex", "name"),
    T.PROCESS: ("process", "command_line"),
}


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _sco_type_path(observable: Observable) -> tuple[str, str, dict] | None:
    """(STIX type, pattern path, SCO properties), or None for types STIX lacks."""
    value = observable.normalized_value
    if observable.type in HASHES:
        algorithm = HASHES[observable.type]
        return "file", f"hashes.'{algorithm}'", {"hashes": {algorithm: value}}
    if observable.type == T.CIDR:
        kind = "ipv6-addr" if ":" in value else "ipv4-addr"
        return kind, "value", {"value": value}
    if observable.type == T.ASN:
        number = int(value.upper().removeprefix("AS"))
        return "autonomous-system", "number", {"number": number}
    if observable.type in SIMPLE:
        kind, path = SIMPLE[observable.type]
        return kind, path, {path: value}
    return None


def _sco(observable: Observable, marking: str):
    found = _sco_type_path(observable)
    if found is None:
        return CordonObservable(  # type: ignore[call-arg]
            observable_type=observable.type,
            value=observable.normalized_value,
            object_marking_refs=[marking],
        )
    kind, _, properties = found
    return stix2.parse(
        {"type": kind, "spec_version": "2.1", **properties, "object_marking_refs": [marking]},
        allow_custom=False,
    )


def _pattern(observable: Observable) -> str:
    found = _sco_type_path(observable)
    if found is None:
        return (
            f"[{CUSTOM_TYPE}:observable_type = '{observable.type}' AND "
            f"{CUSTOM_TYPE}:value = '{_quote(observable.normalized_value)}']"
        )
    kind, path, properties = found
    if observable.type == T.ASN:
        return f"[{kind}:{path} = {properties['number']}]"
    return f"[{kind}:{path} = '{_quote(observable.normalized_value)}']"


def build_bundle(
    *, incident, observables: list[Observable], highest: str, report_name: str
) -> stix2.Bundle:
    """The bundle of `observables` with `incident` as its report."""
    now = timezone.now()
    identity = stix2.Identity(
        name="Cordon", identity_class="system", description="Cordon incident case management"
    )
    markings = {tlp: tlp_marking(tlp) for tlp in {obs.tlp for obs in observables} | {highest}}
    objects: list = []
    refs: list[str] = []
    for observable in observables:
        marking = TLP2_IDS[observable.tlp]
        common = {
            "created_by_ref": identity.id,
            "object_marking_refs": [marking],
            "labels": observable.tags or None,
            "description": observable.description or None,
        }
        first = observable.first_seen or observable.created_at
        last = max(observable.last_seen or first, first)
        if observable.is_ioc:
            sdo = stix2.Indicator(
                name=observable.normalized_value[:256],
                pattern=_pattern(observable),
                pattern_type="stix",
                valid_from=first,
                indicator_types=["malicious-activity"],
                allow_custom=True,
                **common,
            )
            objects.append(sdo)
        else:
            sco = _sco(observable, marking)
            sdo = stix2.ObservedData(
                first_observed=first,
                last_observed=last,
                number_observed=1,
                object_refs=[sco.id],
                allow_custom=True,
                **{k: v for k, v in common.items() if k != "description"},
            )
            objects.extend([sco, sdo])
        refs.append(sdo.id)
    report = stix2.Report(
        name=report_name,
        description=f"Observables of {incident.reference}; highest marking: {TLP(highest).label}.",
        report_types=["incident"],
        published=now,
        object_refs=refs or [identity.id],
        created_by_ref=identity.id,
        object_marking_refs=[TLP2_IDS[highest]],
        external_references=[{"source_name": "cordon", "external_id": incident.reference}],
    )
    return stix2.Bundle(identity, *markings.values(), *objects, report, allow_custom=True)


def validate(bundle: dict) -> list[str]:
    """The errors stix2-validator finds in `bundle` (STIX 2.1), none when it is valid."""
    from stix2validator import ValidationOptions, validate_instance
    from stix2validator.errors import ValidationError as StixValidationError

    try:
        result = validate_instance(bundle, ValidationOptions(version="2.1"))
    except (StixValidationError, TypeError, ValueError, KeyError) as error:
        return [str(error) or type(error).__name__]  # a bundle too broken to walk (no id …)
    return [str(error) for error in result.errors]


# --- In -----------------------------------------------------------------------------


@functools.cache
def stix_enums():
    """stix2-validator's lists of STIX 2.1 types, imported when first needed: the
    validator takes a second to import (its JSON Schema format checkers)."""
    from stix2validator.v21 import enums

    return enums


def known_types() -> set[str]:
    enums = stix_enums()
    return set(enums.TYPES) | set(enums.OBSERVABLE_TYPES) | {CUSTOM_TYPE}


# (STIX type, path as stix2-patterns reports it) -> Cordon type.
PATHS: dict[tuple[str, tuple[str, ...]], str] = {
    (kind, (path,)): type_ for type_, (kind, path) in SIMPLE.items() if type_ != T.HOSTNAME
}
PATHS.update({("file", ("hashes", name)): type_ for type_, name in HASHES.items()})
PATHS.update({("file", ("hashes", name.replace("-", ""))): t for t, name in HASHES.items()})
PATHS[("autonomous-system", ("number",))] = T.ASN
PATHS[("email-addr", ("value",))] = T.EMAIL


class ImportRefused(ValueError):
    """Content that is not a usable STIX bundle or MISP event; the message says why."""


@dataclass
class Parsed:
    items: list[ObservableInput]
    skipped: list[str]


def _tlp_of(obj: dict) -> str | None:
    for ref in obj.get("object_marking_refs") or []:
        if ref in TLP_BY_ID:
            return str(TLP_BY_ID[ref])
    return None


def _ip_type(value: str, kind: str) -> str:
    if "/" in value:
        return T.CIDR
    return T.IPV6 if kind == "ipv6-addr" else T.IPV4


def _type_for(kind: str, path: tuple, value) -> str | None:
    if kind in ("ipv4-addr", "ipv6-addr") and path == ("value",):
        return _ip_type(str(value), kind)
    return PATHS.get((kind, path))


def _sco_items(obj: dict, tlp: str | None) -> list[ObservableInput]:
    kind = obj["type"]
    if kind == CUSTOM_TYPE:
        return [ObservableInput(type=obj["observable_type"], value=str(obj["value"]), tlp=tlp)]
    found = []
    if kind == "file":
        for name, digest in (obj.get("hashes") or {}).items():
            type_ = PATHS.get(("file", ("hashes", name.upper())))
            if type_:
                found.append(ObservableInput(type=type_, value=str(digest), tlp=tlp))
    for (stix_kind, path), type_ in PATHS.items():
        if stix_kind == kind and len(path) == 1 and path[0] in obj:
            value = obj[path[0]]
            type_ = _type_for(kind, path, value) or type_
            found.append(ObservableInput(type=type_, value=str(value), tlp=tlp))
    return found


def _literal(literal: str) -> str:
    """A pattern's literal as text: 'quoted' strings unescaped, numbers as written."""
    if len(literal) >= 2 and literal[0] == literal[-1] == "'":
        return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    return literal


def _indicator_items(obj: dict, tlp: str | None) -> tuple[list[ObservableInput], list[str]]:
    try:
        comparisons = Pattern(obj["pattern"]).inspect().comparisons
    except Exception as error:  # stix2-patterns raises its parser's own
        raise ImportRefused(f"{obj['id']}: the pattern does not parse ({error}).") from error
    items, skipped = [], []
    tags = [label for label in obj.get("labels") or [] if isinstance(label, str)] or None
    for kind, expressions in comparisons.items():
        custom = {}
        for raw_path, operator, literal in expressions:
            path = tuple(str(part) for part in raw_path)
            value = _literal(literal)
            if kind == CUSTOM_TYPE and operator == "=":
                custom[path[0]] = value
                continue
            type_: str | None = _type_for(kind, path, value) if operator == "=" else None
            if type_ is None:
                skipped.append(f"{obj['id']}: {kind}:{'.'.join(path)} {operator}")
                continue
            items.append(ObservableInput(type=type_, value=value, tlp=tlp, is_ioc=True, tags=tags))
        if custom.get("observable_type") and custom.get("value"):
            items.append(
                ObservableInput(
                    type=custom["observable_type"], value=custom["value"], tlp=tlp, is_ioc=True
                )
            )
    return items, skipped


def parse_bundle(bundle: dict) -> Parsed:
    """The observables `bundle` holds, or ImportRefused saying what is wrong with it."""
    objects = bundle.get("objects")
    if bundle.get("type") != "bundle" or not isinstance(objects, list):
        raise ImportRefused('This is not a STIX bundle (no "type": "bundle" with objects).')
    if not all(isinstance(obj, dict) for obj in objects):
        raise ImportRefused("Every object of a STIX bundle is a JSON object.")
    custom = [obj for obj in objects if obj.get("type") == CUSTOM_TYPE]
    if any(obj.get("observable_type") not in _CORDON_TYPES for obj in custom):
        raise ImportRefused(f"A {CUSTOM_TYPE} object names no observable type Cordon knows.")
    unknown = sorted(
        {str(obj.get("type")) for obj in objects if isinstance(obj, dict)} - known_types()
    )
    if unknown:
        raise ImportRefused(f"Unknown STIX object types: {', '.join(unknown)}.")
    errors = validate(bundle)
    if errors:
        raise ImportRefused("Not valid STIX 2.1: " + " ".join(errors[:5]))
    scos, iocs, skipped = [], [], []
    for obj in objects:
        kind = obj["type"]
        tlp = _tlp_of(obj)
        if kind == "indicator" and obj.get("pattern_type") == "stix":
            found, missed = _indicator_items(obj, tlp)
            iocs.extend(found)
            skipped.extend(missed)
        elif kind == "vulnerability" and str(obj.get("name", "")).upper().startswith("CVE-"):
            scos.append(ObservableInput(type=T.CVE, value=obj["name"], tlp=tlp))
        elif kind in stix_enums().OBSERVABLE_TYPES or kind == CUSTOM_TYPE:
            found = _sco_items(obj, tlp)
            scos.extend(found)
            if not found:
                skipped.append(f"{obj['id']}: no value Cordon keeps")
    # IOCs last: the same value as a plain observable and an indicator is an IOC.
    return Parsed(items=scos + iocs, skipped=skipped)


def dumps(bundle: stix2.Bundle) -> bytes:
    return json.dumps(json.loads(bundle.serialize()), indent=2, sort_keys=False).encode()
