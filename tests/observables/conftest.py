"""Helpers for the observables tests: add values through the service."""

import pytest

from observables.services import ObservableInput, observables_add


def add(incident, actor, *values, type="domain", **fields):
    """Add `values` of `type` to `incident` as `actor`; the observables, in order."""
    items = [ObservableInput(type=type, value=value, **fields) for value in values]
    return [
        entry.observable for entry in observables_add(incident=incident, actor=actor, items=items)
    ]


@pytest.fixture
def add_observables():
    return add
