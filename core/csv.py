"""CSV downloads, with the guard against formula injection built in.

Every CSV the application hands out is written here (`csv_response`), so no export
can forget the guard. A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@`
as a formula (`=HYPERLINK(…)` in a User-Agent becomes a link, `=cmd|…` a command);
a leading tab or carriage return is skipped by some spreadsheets before they look.
Following OWASP's CSV injection guidance, a text cell whose first character, or first
character after leading whitespace, is one of those (or their full-width forms, which
some spreadsheets fold to ASCII) is written with a leading apostrophe: spreadsheets show
it as text and hide the apostrophe. The csv module quotes delimiters, quotes and line
breaks inside cells, so no value can start a cell of its own.

Numbers the application itself writes as numbers (int, float, Decimal) stay as they
are: `-3.5` must remain a number for the reader's sums, and a number cannot carry a
formula. Everything else, dates included, is made text with str() and guarded.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

from core.http import attachment_disposition

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
GUARD = "'"
CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value) -> str:
    """One cell as text a spreadsheet shows, never runs: see the module docstring."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    text = str(value)
    if text[:1] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS:
        return GUARD + text
    return text


class _Echo:
    """A file-like object whose write() returns the line: csv.writer as a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The header line, then one line per row, every cell guarded."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(
    filename: str, header: Iterable, rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A streamed CSV download: rows are written as the client reads them, never all
    held in memory, and every cell goes through safe_cell()."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
