"""Values of an incident type's custom fields: checked and normalised against the
type's definitions (incidents.typeschema FIELD). Errors are keyed
`custom_fields.<key>`, so a form or an API answer names the very field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.text import validate_short_text

MAX_TEXT_LENGTH = 1000
MAX_URL_LENGTH = 2000


def error_key(key: str) -> str:
    return f"custom_fields.{key}"


def _number(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        number = Decimal(value.strip())
    else:
        raise ValueError
    if not number.is_finite() or abs(number) > Decimal(10) ** 15:
        raise ValueError
    return int(number) if number == number.to_integral_value() else float(number)


def _one(definition: dict, value):
    """The normalised value of one field, or ValueError/ValidationError with why."""
    kind = definition["kind"]
    if kind == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
            raise ValidationError(f"Give a text of at most {MAX_TEXT_LENGTH} characters.")
        validate_short_text(value)
        return value.strip()
    if kind == "number":
        try:
            return _number(value)
        except (ValueError, InvalidOperation):
            raise ValidationError("Give a number.") from None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError("Give a date as YYYY-MM-DD.") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise ValidationError("Give true or false.")
    if kind == "url":
        if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
            raise ValidationError("Give a URL.")
        URLValidator(schemes=["http", "https"])(value.strip())
        return value.strip()
    choices = definition.get("choices", [])
    if kind == "choice":
        if value not in choices:
            raise ValidationError(f"Choose one of: {', '.join(choices)}.")
        return value
    # multi_choice
    if not isinstance(value, list) or any(item not in choices for item in value):
        raise ValidationError(f"Give a list from: {', '.join(choices)}.")
    return [choice for choice in choices if choice in value]


def _blank(value) -> bool:
    return value is None or value == "" or value == []


def clean_custom_fields(definitions: list[dict], values, *, partial: bool = False) -> dict:
    """`values` checked against `definitions`: unknown keys, missing required fields and
    wrong kinds are errors, each under its own key; blanks are left out."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Give an object keyed by field key."]})
    by_key = {definition["key"]: definition for definition in definitions}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in by_key:
            known = ", ".join(by_key) or "none"
            errors[error_key(str(key)[:50])] = [f"No such field for this type (fields: {known})."]
    cleaned: dict = {}
    for key, definition in by_key.items():
        value = values.get(key)
        if _blank(value):
            if definition.get("required") and not (partial and key not in values):
                errors[error_key(key)] = [f"{definition['label']} is required."]
            continue
        try:
            cleaned[key] = _one(definition, value)
        except ValidationError as error:
            errors[error_key(key)] = [f"{definition['label']}: {' '.join(error.messages)}"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def display_values(definitions: list[dict], values: dict) -> list[tuple[str, str]]:
    """(label, text) of each set value, in the type's order; values of fields the type
    no longer defines are shown under their key."""
    shown = []
    known = set()
    for definition in definitions:
        known.add(definition["key"])
        if definition["key"] in values:
            shown.append((definition["label"], _text(values[definition["key"]])))
    shown += [(key, _text(value)) for key, value in values.items() if key not in known]
    return shown


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
