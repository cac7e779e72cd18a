"""What an observable's value means: each type's validator and normaliser, the guess of
a type for a pasted line, and the forms a value is compared and shown in.

`normalise(type, value)` returns the value as Cordon compares it (refanged, canonical)
or raises ValidationError naming the `value` field. Every type first goes through the
short-text rule of core.text (one line, no control, invisible or bidirectional
characters, NFC): a value is refused rather than silently changed, like any text a
person types. Correlation and look-ups compare `value_digest(normalised)`, a SHA-256
of fixed width, so any length of value indexes alike.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from core.text import normalize_short_text, validate_short_text
from observables.values import host, network
from observables.values.kinds import ObservableType, Source
from observables.values.refang import looks_defanged, refang

__all__ = [
    "MAX_VALUE_LENGTH",
    "ObservableType",
    "Source",
    "display_value",
    "guess_type",
    "looks_defanged",
    "lookup_keys",
    "normalise",
    "refang",
    "value_digest",
]

MAX_VALUE_LENGTH = 8192

T = ObservableType
NORMALISERS: dict[str, Callable[[str], str]] = {
    T.IPV4: network.normalise_ipv4,
    T.IPV6: network.normalise_ipv6,
    T.CIDR: network.normalise_cidr,
    T.DOMAIN: network.normalise_domain,
    T.HOSTNAME: network.normalise_hostname,
    T.URL: network.normalise_url,
    T.EMAIL: network.normalise_email,
    T.MD5: host.normalise_md5,
    T.SHA1: host.normalise_sha1,
    T.SHA256: host.normalise_sha256,
    T.SHA512: host.normalise_sha512,
    T.FILENAME: host.normalise_filename,
    T.FILEPATH: host.normalise_filepath,
    T.REGISTRY_KEY: host.normalise_registry_key,
    T.USER_ACCOUNT: host.normalise_text,
    T.USER_AGENT: host.normalise_text,
    T.ASN: network.normalise_asn,
    T.CVE: host.normalise_cve,
    T.MAC: network.normalise_mac,
    T.JA3: host.normalise_ja3,
    T.MUTEX: host.normalise_text,
    T.PROCESS: host.normalise_text,
    T.CRYPTO_ADDRESS: host.normalise_crypto_address,
    T.OTHER: host.normalise_text,
}
assert set(NORMALISERS) == set(ObservableType.values)


def normalise(type_: str, value, *, field: str = "value") -> str:
    """The value of an observable of `type_` as Cordon compares it; ValidationError
    ({field: [...]}) when it does not fit the type."""
    if type_ not in NORMALISERS:
        raise ValidationError({"type": [f"Unknown type; choose from {', '.join(T.values)}."]})
    if not isinstance(value, str):
        raise ValidationError({field: ["Give the value as text."]})
    text = normalize_short_text(value)
    if not text:
        raise ValidationError({field: ["Give a value."]})
    if len(text) > MAX_VALUE_LENGTH:
        raise ValidationError({field: [f"At most {MAX_VALUE_LENGTH} characters."]})
    try:
        validate_short_text(text)
        normalised = NORMALISERS[type_](text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
    except ValueError as error:
        raise ValidationError({field: [str(error)]}) from error
    if not normalised or len(normalised) > MAX_VALUE_LENGTH:
        raise ValidationError({field: [f"Give a value of at most {MAX_VALUE_LENGTH} characters."]})
    return normalised


def value_digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Guessing the type of a pasted line ----------------------------------------------

FILE_EXTENSIONS = _words(
    """exe dll sys scr bat cmd ps1 psm1 vbs vbe js jse wsf hta lnk msi msp iso img vhd
    zip rar 7z gz tgz tar cab jar apk elf bin so dylib sh py pl php asp aspx jsp war
    doc docx docm xls xlsx xlsm ppt pptx pptm rtf pdf one txt log tmp dat cfg ini
    html htm svg eml msg chm reg"""
)
HASH_BY_LENGTH = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
EXPLICIT_TYPE = re.compile(r"^([a-z0-9_]{3,14})\s*[:=\t]\s*(.+)$", re.IGNORECASE)
ASN_GUESS = re.compile(r"^AS\d{1,10}$", re.IGNORECASE)


def _fits(type_: str, text: str) -> bool:
    try:
        NORMALISERS[type_](text)
    except ValueError:
        return False
    return True


def split_explicit_type(line: str) -> tuple[str | None, str]:
    """`sha256: 3f…` or `filename<TAB>evil.exe`: a line naming its own type."""
    match = EXPLICIT_TYPE.match(line.strip())
    if match and match.group(1).lower() in NORMALISERS:
        rest = match.group(2).strip()
        # An URL's scheme (`http: …`) is not a type; `url: http://…` is.
        return match.group(1).lower(), rest
    return None, line.strip()


def guess_type(value: str) -> str | None:
    """The type a pasted value most likely is, or None when nothing fits."""
    text = value.strip()
    if not text or any(char in text for char in "\r\n"):
        return None
    plain = refang(text)
    if HEX_ONLY.match(text) and len(text) in HASH_BY_LENGTH:
        return HASH_BY_LENGTH[len(text)]
    checks = (
        (T.CVE, text),
        (T.IPV4, plain),
        (T.IPV6, plain),
        (T.CIDR, plain),
        (T.MAC, text),
    )
    for type_, candidate in checks:
        if _fits(type_, candidate):
            return type_
    if "://" in plain and _fits(T.URL, plain):
        return T.URL
    if "@" in plain and " " not in plain and _fits(T.EMAIL, plain):
        return T.EMAIL
    if _fits(T.REGISTRY_KEY, text) and "\\" in text:
        return T.REGISTRY_KEY
    if ASN_GUESS.match(text):
        return T.ASN
    if ("\\" in text or text.startswith("/")) and _fits(T.FILEPATH, text):
        return T.FILEPATH
    if "." in plain and _fits(T.DOMAIN, plain):
        extension = plain.rsplit(".", 1)[-1].lower()
        return T.FILENAME if extension in FILE_EXTENSIONS and plain == text else T.DOMAIN
    if host.ETHEREUM.match(text) or host.SEGWIT.match(text.lower()):
        return T.CRYPTO_ADDRESS
    if host.JA4.match(text.lower()) and "_" in text:
        return T.JA3
    if "." in text and " " not in text and _fits(T.FILENAME, text):
        return T.FILENAME
    return None


HEX_ONLY = re.compile(r"^[0-9a-fA-F]+$")


# --- Looking a value up ------------------------------------------------------------


def lookup_keys(value: str, type_: str | None = None) -> list[tuple[str, str, str]]:
    """(type, normalised value, digest) for every type the value fits, or for `type_`
    alone; empty when it fits none. Defanged values are refanged by the normalisers."""
    types = [type_] if type_ else list(NORMALISERS)
    keys = []
    for candidate in types:
        try:
            normalised = normalise(candidate, value)
        except ValidationError:
            continue
        keys.append((candidate, normalised, value_digest(normalised)))
    return keys


# --- Showing a value ---------------------------------------------------------------

NAME_TYPES = frozenset({T.DOMAIN, T.HOSTNAME})


def _host_of(type_: str, normalised: str) -> str:
    if type_ in NAME_TYPES:
        return normalised
    if type_ == T.EMAIL:
        return normalised.rpartition("@")[2]
    if type_ == T.URL:
        return network.urlsplit(normalised).hostname or ""
    return ""


def display_value(type_: str, normalised: str) -> dict:
    """How to show a value: `unicode` (an internationalised name's Unicode form, shown
    beside its A-label) and `homograph` (that form may pass for another name)."""
    name = _host_of(type_, normalised)
    unicode_form = network.unicode_name(name) if name else None
    if unicode_form is None:
        return {"unicode": None, "homograph": False}
    shown = normalised.replace(name, unicode_form, 1)
    return {"unicode": shown, "homograph": network.is_homograph(unicode_form)}
