"""Form fields for input from outside that must never reach the database as it came.

An integer from a query string can be any length. Past 64 bits SQLite's driver raises
OverflowError (a 500), and a few thousand digits are a ValueError in int() itself;
`BoundedIntegerField` turns both into a form error, so every filter that takes a number
(an id, a position) refuses it the same way and the page says so.
"""

from __future__ import annotations

from django import forms

# A signed 64-bit integer: the widest integer column (BigAutoField ids included).
BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
# A 32-bit column (IntegerField, PositiveIntegerField on PostgreSQL) for counts.
INTEGER_MAX = 2**31 - 1


class BoundedIntegerField(forms.IntegerField):
    """An integer that fits a 64-bit column; min_value and max_value may only narrow that."""

    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **kwargs):
        min_value = BIGINT_MIN if min_value is None else max(min_value, BIGINT_MIN)
        max_value = BIGINT_MAX if max_value is None else min(max_value, BIGINT_MAX)
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def widget_attrs(self, widget):
        # The 64-bit limits are no help to a person: keep them out of the page.
        attrs = super().widget_attrs(widget)
        if attrs.get("min") == BIGINT_MIN:
            del attrs["min"]
        if attrs.get("max") == BIGINT_MAX:
            del attrs["max"]
        return attrs
