"""Helpers for the intake tests: sending alerts through the service."""

import pytest

from intake.services import AlertInput, alerts_receive


def send(sender, **fields):
    """One alert through the service; returns the alert."""
    fields.setdefault("source", "siem")
    fields.setdefault("title", "Brute force on vpn-1")
    observables = fields.pop("observables", ())
    (received,) = alerts_receive(
        sender=sender, items=[AlertInput(**fields, observables=list(observables))]
    )
    return received.alert


@pytest.fixture
def send_alert():
    return send
