"""JSON from outside, read with a bound on nesting.

Python's parser recurses once per level, so a body of a hundred thousand `[` is a
RecursionError (a 500) in the parser, and a body just under the interpreter's limit is
one later, wherever the data is walked again (serializers, the audit log's canonical
form). Every JSON body Cordon reads goes through `loads` here: too deep is a ValueError
like any other malformed JSON, which each caller already answers with a 400.

`JSONParser` is DRF's parser on top of it (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body Cordon takes (an incident with custom fields is three levels).
DEFAULT_MAX_DEPTH = 32


class JSONTooDeep(ValueError):
    """The document nests arrays and objects deeper than allowed."""


def max_depth() -> int:
    """JSON_MAX_DEPTH: how many arrays and objects may nest inside each other."""
    return getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them (a 500 later).
    raise ValueError(f"{name} is not a JSON value")


def _nesting_exceeds(value, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iteratively: no recursion here)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, depth: int | None = None):
    """json.loads with NaN and Infinity refused and nesting bounded by `depth`
    (JSON_MAX_DEPTH by default); raises ValueError (JSONTooDeep, JSONDecodeError)."""
    limit = max_depth() if depth is None else depth
    too_deep = JSONTooDeep(f"nested deeper than {limit} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # Deeper than the interpreter can parse at all: certainly deeper than allowed.
        raise too_deep from None
    if _nesting_exceeds(value, limit):
        raise too_deep
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with `loads` above: too deep is a 400 like any parse error."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's own check: a text codec only (a bytes codec such as bz2 would inflate it).
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return loads(codecs.getreader(encoding)(stream).read())
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
