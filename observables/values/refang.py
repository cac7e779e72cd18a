"""Defanged indicators made usable again: `hxxp://evil[.]example` is `http://evil.example`.

Analysts defang indicators so that nobody clicks them in a report or a chat; Cordon
accepts them either way and keeps the value as given, comparing the refanged,
normalised form. Only the spellings in common use are undone, and only in the types
where they make sense (addresses, names, URLs): a file path may hold `[.]` on purpose.
"""

from __future__ import annotations

import re

# Order matters: the scheme first, then separators.
_SCHEMES = (
    (re.compile(r"^h[xX]{2}p(s?)(?=\[?:)", re.IGNORECASE), r"http\1"),
    (re.compile(r"^f[xX]p(s?)(?=\[?:)", re.IGNORECASE), r"ftp\1"),
)
_REPLACEMENTS = (
    (re.compile(r"\[(:)?//\]|\[:\]//"), "://"),  # hxxp[://]host, hxxp[:]//host
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\s*[\[({]\s*(?:\.|dot)\s*[\])}]\s*", re.IGNORECASE), "."),  # [.] (dot) {.}
    (re.compile(r"\s*[\[({]\s*(?:@|at)\s*[\])}]\s*", re.IGNORECASE), "@"),  # [@] (at) [at]
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\\\."), "."),  # evil\.example
)


def refang(value: str) -> str:
    """`value` with the usual defanging undone (scheme, dots, at signs, colons)."""
    text = value.strip()
    for pattern, replacement in _SCHEMES:
        text = pattern.sub(replacement, text, count=1)
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    return text


def looks_defanged(value: str) -> bool:
    return refang(value) != value.strip()
