"""HTTP helpers with no domain: the header that makes a response a download."""

from __future__ import annotations

import string
from urllib.parse import quote

# Characters kept in the plain `filename=` fallback; anything else becomes "_".
_ASCII_SAFE = frozenset(string.ascii_letters + string.digits + " ._-()[]+,=@")
DEFAULT_FILENAME = "download"


def attachment_disposition(name: str, *, fallback: str = DEFAULT_FILENAME) -> str:
    """`Content-Disposition` for a download named `name`, RFC 6266 style.

    An ASCII `filename=` for old clients (unsafe characters replaced, so no quote,
    backslash, semicolon or line break can end the header value early) and the exact
    name as `filename*=UTF-8''…` (RFC 8187, percent-encoded) for every current browser.
    """
    plain = "".join(char if char in _ASCII_SAFE else "_" for char in name) or fallback
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
