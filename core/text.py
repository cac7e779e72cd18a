"""The rules for text that people and programs type, shared by every app.

One rule, two shapes:

- **Short text** (one line: titles, names, host names, channels): NFC, surrounding
  whitespace stripped, and no character of Unicode category C (controls such as NUL,
  tab, CR and LF; format characters such as the bidirectional overrides U+202A to U+202E
  and U+2066 to U+2069 and the zero-width space U+200B; private-use and surrogate code
  points; noncharacters such as U+FFFE) nor a line or paragraph separator (U+2028,
  U+2029). Code points unassigned in this Python's Unicode tables are let through: an
  emoji newer than the interpreter is "unassigned" to it, not invisible.
- **Multi-line text** (descriptions, findings, reasons): NFC, and the same refusals,
  except that line feeds, tabs and CR+LF pairs are allowed.

The zero-width joiner and non-joiner (U+200D, U+200C) are the one exception: some
scripts (Persian, the Indic scripts) and emoji sequences need them, so they are
allowed between two non-ASCII letters, marks or symbols, and refused anywhere else.

Such characters are refused, not removed: a form or API error naming the field is
better than silently changing what a person typed. The model fields below carry the
rule (their validators run in every service's full_clean, and DRF's model serializers
copy them), so browser forms and the API refuse the same input the same way.

Names the application receives rather than someone types (an uploaded file's name,
its path on the source host) are kept as harmless metadata instead: strip_invisible()
removes those characters. comment_text() makes any value safe inside an HTML comment
of an exported document (see disclosures' export.md).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

JOINERS = frozenset("\u200c\u200d")
LINE_SEPARATORS = frozenset("\u2028\u2029")
MULTILINE_CONTROLS = frozenset("\n\t")


def _is_joinable(char: str | None) -> bool:
    """A character a joiner may stand next to: a non-ASCII letter, mark or symbol."""
    return (
        char is not None
        and not char.isascii()
        and unicodedata.category(char)[0] in "LMS"
        and char not in JOINERS
    )


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _is_refused(text: str, index: int, *, multiline: bool) -> bool:
    char = text[index]
    if char in LINE_SEPARATORS or _is_noncharacter(char):
        return True
    category = unicodedata.category(char)
    if not category.startswith("C") or category == "Cn":
        return False
    if multiline and char in MULTILINE_CONTROLS:
        return False
    if multiline and char == "\r":
        return text[index + 1 : index + 2] != "\n"
    if char in JOINERS:
        before = text[index - 1] if index > 0 else None
        after = text[index + 1] if index + 1 < len(text) else None
        return not (_is_joinable(before) and _is_joinable(after))
    return True


def describe_character(char: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`: an invisible character, named so people find it."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} ({name})" if name else f"U+{ord(char):04X}"


def refused_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of `text` the rule refuses, each once, in order of appearance."""
    if text.isascii() and text.isprintable():
        return []  # space to tilde: no control, format or separator among them (fast path)
    found = [
        char for index, char in enumerate(text) if _is_refused(text, index, multiline=multiline)
    ]
    return list(dict.fromkeys(found))


def _check(text: str, *, multiline: bool) -> None:
    refused = refused_characters(text, multiline=multiline)
    if not refused:
        return
    where = "" if multiline else " (it is one line)"
    names = ", ".join(describe_character(char) for char in refused[:3])
    more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
    raise ValidationError(
        f"Remove the control or invisible characters{where}: {names}{more}.",
        code="refused_character",
    )


def validate_short_text(value) -> None:
    """Refuse controls (line breaks included), format and other invisible characters."""
    if isinstance(value, str):
        _check(value, multiline=False)


def validate_multiline_text(value) -> None:
    """As validate_short_text, but line feeds, tabs and CR+LF pairs are allowed."""
    if isinstance(value, str):
        _check(value, multiline=True)


def normalize_short_text(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def normalize_multiline_text(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean_short_text(value, *, field: str, required: bool = True, max_length=None) -> str:
    """For services that take short text outside a model field: the value normalised,
    or ValidationError({field: [...]}) naming the field."""
    text = normalize_short_text(value or "")
    return _checked(text, field=field, required=required, max_length=max_length, multiline=False)


def clean_multiline_text(value, *, field: str, required: bool = False, max_length=None) -> str:
    """As clean_short_text, for multi-line text (line breaks allowed, kept as typed)."""
    text = normalize_multiline_text(value or "")
    return _checked(text, field=field, required=required, max_length=max_length, multiline=True)


def _checked(text: str, *, field: str, required: bool, max_length, multiline: bool) -> str:
    if required and not text.strip():
        raise ValidationError({field: ["This field is required."]})
    if max_length is not None and len(text) > max_length:
        raise ValidationError({field: [f"At most {max_length} characters."]})
    try:
        _check(text, multiline=multiline)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
    return text


def strip_invisible(value: str) -> str:
    """NFC, without any character of category C (controls, NUL, bidirectional overrides,
    zero-width marks); other separators (U+2028, a no-break space…) become spaces. For
    names the application receives and keeps as metadata, not for what people type."""
    kept = []
    for char in unicodedata.normalize("NFC", value or ""):
        category = unicodedata.category(char)
        if category.startswith("C"):
            continue
        kept.append(" " if category.startswith("Z") else char)
    return "".join(kept)


def comment_text(value) -> str:
    """`value` as text that cannot leave an HTML comment (`<!-- … -->`) it is written in,
    nor start a line of its own: one line (controls and separators shown as `\\uXXXX`)
    and no two hyphens in a row, so no `-->`, `--!>` or `<!--` can form."""
    text = str(value if value is not None else "")
    shown = "".join(
        f"\\u{ord(char):04x}"
        if unicodedata.category(char).startswith("C") or char in LINE_SEPARATORS
        else char
        for char in text
    )
    while "--" in shown:
        shown = shown.replace("--", "- -")
    return shown


# --- Model fields carrying the rule ----------------------------------------------


class ShortTextField(models.CharField):
    """A CharField with the short-text rule: normalised (NFC, stripped) when the model is
    cleaned, and refused with a message naming the characters otherwise."""

    default_validators = [validate_short_text]

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_short_text(value) if isinstance(value, str) else value


class MultilineTextField(models.TextField):
    """A TextField with the multi-line rule (line feeds and tabs allowed)."""

    default_validators = [validate_multiline_text]

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_multiline_text(value) if isinstance(value, str) else value
