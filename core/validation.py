"""Validating a change to a row that may have been written before today's rules.

The shared text and date rules (core.text, core.dates) are validators on model fields.
A row written before them (a title with a zero-width space, a due date in year 0001)
must still be able to change its other fields: an action item's owner must be able to
close it even though nobody may edit its title. So an update validates what it writes
now against the rules, and leaves the untouched old values as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.dates import validate_event_time, validate_planned_date
from core.text import validate_multiline_text, validate_short_text

SHARED_RULES = (
    validate_short_text,
    validate_multiline_text,
    validate_event_time,
    validate_planned_date,
)


def untouched_ruled_fields(instance, changed: Iterable[str]) -> list[str]:
    """The fields of `instance` that carry a shared rule and that this write does not
    change: give them to full_clean(exclude=…) in an update service."""
    changed = set(changed)
    return [
        field.name
        for field in instance._meta.concrete_fields
        if field.name not in changed and any(rule in SHARED_RULES for rule in field.validators)
    ]
