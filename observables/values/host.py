"""Validators and normalisers of observables found on a host or in a file: hashes, file
names and paths, registry keys, accounts, processes, mutexes, user agents, TLS
fingerprints, CVE ids and cryptocurrency addresses.

Hashes and fingerprints are lower-cased, CVE ids upper-cased; registry keys and Windows
paths, which Windows compares without case, are lower-cased after their hive or drive;
names whose case matters (POSIX paths, mutexes, accounts) are kept as given.
"""

from __future__ import annotations

import re

HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
HEX = re.compile(r"^[0-9a-fA-F]+$")
CVE = re.compile(r"^CVE-(\d{4})-(\d{4,7})$", re.IGNORECASE)
MAX_FILENAME_LENGTH = 255
WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|%[A-Za-z_]+%)")

REGISTRY_HIVES = {
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKCU": "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKEY_USERS": "HKEY_USERS",
    "HKU": "HKEY_USERS",
    "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
    "HKCC": "HKEY_CURRENT_CONFIG",
    "HKEY_PERFORMANCE_DATA": "HKEY_PERFORMANCE_DATA",
}

JA3_HASH = re.compile(r"^[0-9a-f]{32}$")
JA3_STRING = re.compile(r"^\d+,(\d+(-\d+)*)?,(\d+(-\d+)*)?,(\d+(-\d+)*)?,(\d+(-\d+)*)?$")
# JA4 and its family (JA4S, JA4H, JA4X, JA4SSH, JA4T…): parts joined by underscores.
JA4 = re.compile(r"^[a-z0-9]{2,40}(?:_[a-z0-9]{2,64}){1,3}$")

BASE58 = "1-9A-HJ-NP-Za-km-z"
BECH32 = "02-9ac-hj-np-z"
ETHEREUM = re.compile(r"^0x[0-9a-fA-F]{40}$")
SEGWIT = re.compile(rf"^(?:bc|tb|ltc|bcrt)1[{BECH32}]{{6,87}}$")
CASHADDR = re.compile(rf"^(?:bitcoincash:)?[qp][{BECH32}]{{41}}$")
MONERO = re.compile(rf"^[48][{BASE58}]{{94}}(?:[{BASE58}]{{11}})?$")
BASE58_ADDRESS = re.compile(rf"^[{BASE58}]{{25,64}}$")


def _hex(value: str, name: str) -> str:
    text = value.strip()
    length = HEX_LENGTHS[name]
    if len(text) != length or not HEX.match(text):
        raise ValueError(f"An {name.upper()} hash is {length} hexadecimal characters.")
    return text.lower()


def normalise_md5(value: str) -> str:
    return _hex(value, "md5")


def normalise_sha1(value: str) -> str:
    return _hex(value, "sha1")


def normalise_sha256(value: str) -> str:
    return _hex(value, "sha256")


def normalise_sha512(value: str) -> str:
    return _hex(value, "sha512")


def normalise_cve(value: str) -> str:
    match = CVE.match(value.strip())
    if not match:
        raise ValueError("A CVE id is CVE-, a year and a number, such as CVE-2024-3094.")
    return f"CVE-{match.group(1)}-{match.group(2)}"


def normalise_filename(value: str) -> str:
    text = value.strip()
    if "/" in text or "\\" in text:
        raise ValueError("A file name holds no / or \\: use the file path type for paths.")
    if len(text) > MAX_FILENAME_LENGTH:
        raise ValueError(f"A file name is at most {MAX_FILENAME_LENGTH} characters.")
    return text


def normalise_filepath(value: str) -> str:
    text = value.strip()
    if "/" not in text and "\\" not in text:
        raise ValueError("A file path holds a / or \\ (a name alone is a file name).")
    if WINDOWS_PATH.match(text) or ("\\" in text and "/" not in text):
        # Windows compares paths without case; one separator.
        return re.sub(r"(?<!^)\\{2,}", r"\\", text.replace("/", "\\")).lower()
    return text


def normalise_registry_key(value: str) -> str:
    text = value.strip().replace("/", "\\")
    hive, _, rest = text.partition("\\")
    canonical = REGISTRY_HIVES.get(hive.upper())
    if canonical is None:
        raise ValueError(
            "A registry key starts with its hive, such as HKLM\\ or HKEY_CURRENT_USER\\."
        )
    rest = re.sub(r"\\{2,}", r"\\", rest).strip("\\")
    # Windows compares registry keys without case.
    return f"{canonical}\\{rest.lower()}" if rest else canonical


def normalise_ja3(value: str) -> str:
    text = value.strip().lower()
    if JA3_HASH.match(text) or JA3_STRING.match(text) or JA4.match(text):
        return text
    raise ValueError(
        "Not a TLS fingerprint: a JA3 hash (32 hexadecimal characters), a JA3 string or a "
        "JA4 fingerprint (such as t13d1516h2_8daaf6152771_b186095e22b6)."
    )


def normalise_crypto_address(value: str) -> str:
    text = value.strip()
    if ETHEREUM.match(text):
        return text.lower()
    if SEGWIT.match(text.lower()) and (text.islower() or text.isupper()):
        return text.lower()
    if CASHADDR.match(text.lower()) and (text.islower() or text.isupper()):
        return text.lower()
    if MONERO.match(text) or BASE58_ADDRESS.match(text):
        return text
    raise ValueError(
        "Not a cryptocurrency address (Bitcoin and the like in Base58 or Bech32, Ethereum, Monero)."
    )


def normalise_text(value: str) -> str:
    """Mutexes, processes, accounts, user agents and anything else: the text as given."""
    return value.strip()
