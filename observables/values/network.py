"""Validators and normalisers of network observables: addresses, networks, names, URLs,
e-mail addresses, MAC addresses and autonomous systems.

Each takes the value as given and returns its normalised form, or raises ValueError
with a message for the person who typed it. Defanged spellings are undone first
(values.refang). Domain and host names become lower-case A-labels (IDNA 2008 with
UTS #46 mapping, as browsers resolve them), without the root's trailing dot; IPv6
addresses their canonical compressed form; MAC addresses lower-case with colons.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import idna

from observables.values.refang import refang


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MAX_DOMAIN_LENGTH = 253
ASCII_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
ACE_PREFIX = "xn--"
MAX_ASN = 2**32 - 1
MAX_ASDOT_PART = 2**16 - 1

MAC_PATTERNS = (
    re.compile(r"^([0-9a-f]{2})([:-])([0-9a-f]{2})(?:\2([0-9a-f]{2})){4}$"),
    re.compile(r"^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$"),
    re.compile(r"^[0-9a-f]{12}$"),
)
ASN_PLAIN = re.compile(r"^(?:asn?\s*)?(\d{1,10})$", re.IGNORECASE)
ASN_DOT = re.compile(r"^(?:asn?\s*)?(\d{1,5})\.(\d{1,5})$", re.IGNORECASE)

# Schemes whose URLs name a host; others (mailto:, data:, …) are kept after the scheme.
HOST_SCHEMES = _words(
    """http https ftp ftps sftp ws wss smb ldap ldaps ssh telnet rtsp irc ircs tftp gopher
    git svn rdp vnc imap imaps pop3 pop3s smtp smtps nntp mms file"""
)
OPAQUE_SCHEMES = frozenset(
    ["mailto", "data", "javascript", "tel", "magnet", "urn", "news", "sms", "vbscript"]
)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,31}$")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
MAX_EMAIL_LOCAL_LENGTH = 64
EMAIL_LOCAL_REFUSED = re.compile(r"[\s<>()\[\]\\,;:\"]")


def _no_spaces(text: str, what: str) -> None:
    if any(char.isspace() for char in text):
        raise ValueError(f"{what} holds no spaces.")


def normalise_ipv4(value: str) -> str:
    text = refang(value)
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ValueError(
            "Not an IPv4 address (four numbers 0 to 255, such as 192.0.2.7)."
        ) from None


def normalise_ipv6(value: str) -> str:
    text = refang(value)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError("Not an IPv6 address (such as 2001:db8::7).") from None
    if address.ipv4_mapped is not None and address.scope_id is None:
        # RFC 5952 section 5, whatever this Python's str() prefers.
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def normalise_cidr(value: str) -> str:
    text = refang(value)
    if "/" not in text:
        raise ValueError("A network is an address and a prefix length, such as 198.51.100.0/24.")
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValueError("Not a network in CIDR notation (such as 198.51.100.0/24).") from None


def _ascii_name(text: str) -> str:
    """An all-ASCII name, lower-cased; xn-- labels must be valid Punycode."""
    text = text.lower()
    for label in text.split("."):
        if not ASCII_LABEL.match(label):
            raise ValueError(
                "Each part of a name is 1 to 63 letters, digits, hyphens or underscores, "
                "and does not start or end with a hyphen."
            )
        if label.startswith(ACE_PREFIX):
            try:
                idna.decode(label)
            except idna.IDNAError:
                raise ValueError(f"“{label}” is not valid Punycode.") from None
    return text


def _name(value: str, *, min_labels: int, what: str) -> str:
    text = refang(value)
    _no_spaces(text, what)
    text = unicodedata.normalize("NFC", text)
    # Ideographic and full-width full stops separate labels too (UTS #46).
    text = re.sub("[\u3002\uff0e\uff61]", ".", text).rstrip(".")
    if not text:
        raise ValueError(f"Give a {what.lower()}.")
    if text.isascii():
        name = _ascii_name(text)
    else:
        try:
            name = idna.encode(text, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise ValueError(f"Not a valid internationalised {what.lower()}: {error}.") from None
        name = _ascii_name(name)
    labels = name.split(".")
    if len(name) > MAX_DOMAIN_LENGTH:
        raise ValueError(f"A {what.lower()} is at most {MAX_DOMAIN_LENGTH} characters.")
    if len(labels) < min_labels:
        raise ValueError(f"A {what.lower()} has at least {min_labels} parts, such as example.org.")
    if labels[-1].isdigit():
        raise ValueError("A name does not end in a number: is it an IP address?")
    return name


def normalise_domain(value: str) -> str:
    return _name(value, min_labels=2, what="Domain")


def normalise_hostname(value: str) -> str:
    return _name(value, min_labels=1, what="Host name")


def _url_host(host: str) -> str:
    if ":" in host:
        return f"[{normalise_ipv6(host)}]"
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return normalise_hostname(host)


def normalise_url(value: str) -> str:
    text = refang(value)
    _no_spaces(text, "A URL")
    scheme, separator, rest = text.partition(":")
    scheme = scheme.lower()
    if not separator or not SCHEME.match(scheme):
        raise ValueError("A URL starts with its scheme, such as https://.")
    if scheme in OPAQUE_SCHEMES:
        if not rest:
            raise ValueError("The URL has nothing after its scheme.")
        return f"{scheme}:{rest}"
    if not rest.startswith("//"):
        raise ValueError("A URL starts with its scheme and //, such as https://example.org/.")
    try:
        parts = urlsplit(f"{scheme}:{rest}")
        port = parts.port
    except ValueError as error:
        raise ValueError(f"Not a valid URL: {error}.") from None
    host = parts.hostname or ""
    if not host and scheme != "file":
        raise ValueError("The URL names no host.")
    netloc = _url_host(host) if host else ""
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = parts.path or ("/" if scheme in DEFAULT_PORTS else "")
    if scheme not in HOST_SCHEMES and not host:
        raise ValueError("The URL names no host.")
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))


def normalise_email(value: str) -> str:
    text = refang(value)
    _no_spaces(text, "An e-mail address")
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("An e-mail address is a name, @ and a domain, such as a@example.org.")
    if len(local) > MAX_EMAIL_LOCAL_LENGTH or EMAIL_LOCAL_REFUSED.search(local):
        raise ValueError(
            'The part before @ is at most 64 characters, without spaces or <>()[],;:".'
        )
    if domain.startswith("[") and domain.endswith("]"):
        inner = domain[1:-1]
        domain = (
            f"[{normalise_ipv6(inner.removeprefix('IPv6:'))}]"
            if ":" in inner
            else (f"[{normalise_ipv4(inner)}]")
        )
    else:
        domain = normalise_domain(domain)
    # Compared without case: mail systems treat the local part so in practice.
    return f"{unicodedata.normalize('NFC', local).lower()}@{domain}"


def normalise_mac(value: str) -> str:
    text = value.strip().lower()
    if not any(pattern.match(text) for pattern in MAC_PATTERNS):
        raise ValueError("Not a MAC address (such as 00:1a:2b:3c:4d:5e).")
    digits = re.sub(r"[^0-9a-f]", "", text)
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))


def normalise_asn(value: str) -> str:
    text = value.strip()
    if match := ASN_PLAIN.match(text):
        number = int(match.group(1))
    elif match := ASN_DOT.match(text):
        high, low = int(match.group(1)), int(match.group(2))
        if high > MAX_ASDOT_PART or low > MAX_ASDOT_PART:
            raise ValueError("Each part of an asdot ASN is at most 65535.")
        number = high * (MAX_ASDOT_PART + 1) + low
    else:
        raise ValueError("Not an autonomous system number (such as AS64496).")
    if number > MAX_ASN:
        raise ValueError(f"An ASN is at most {MAX_ASN}.")
    return f"AS{number}"


# --- Showing names ---------------------------------------------------------------

_SCRIPT_NEUTRAL = frozenset("0123456789-_")
# Letters of other scripts that pass for Latin ones (a few of Unicode's confusables).
_LATIN_LOOKALIKES = frozenset(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04cf\u051b\u051d"
    "\u04bb\u0432\u043c\u043d\u0442\u043a\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420"
    "\u0421\u0422\u0425\u0406\u0408\u0405\u051c\u03b1\u03bf\u03b9\u03bd\u03ba\u03c1\u03c4"
    "\u03c5\u03c7\u03b5\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1"
    "\u03a4\u03a5\u03a7"
)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else "UNKNOWN"


def is_homograph(unicode_name: str) -> bool:
    """Whether a name may pass for another: a label mixing scripts (Latin and Cyrillic),
    or one made of letters of another script that pass for Latin ones
    (Cyrillic letters spelling apple)."""
    for label in unicode_name.split("."):
        letters = [char for char in label if char not in _SCRIPT_NEUTRAL]
        if not letters or label.isascii():
            continue
        scripts = {_script(char) for char in letters}
        if len(scripts) > 1:
            return True
        if all(char in _LATIN_LOOKALIKES for char in letters):
            return True
    return False


def unicode_name(a_label_name: str) -> str | None:
    """The Unicode form of a name holding A-labels (xn--…), None when it has none."""
    if ACE_PREFIX not in a_label_name:
        return None
    try:
        return idna.decode(a_label_name)
    except idna.IDNAError:
        return None
