"""Markings that say how far information may travel, shared by incidents, evidence and
observables: the Traffic Light Protocol 2.0 (FIRST) and the Permissible Actions Protocol.

They are plain standards, not a domain: the choices live here so every app (and the
one template tag that shows them, core.templatetags.core_marking) names them alike.
"""

from __future__ import annotations

from django.db import models


class TLP(models.TextChoices):
    """FIRST TLP 2.0: who may receive the information."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class PAP(models.TextChoices):
    """Permissible Actions Protocol: what the recipient may do with it (MISP's taxonomy)."""

    CLEAR = "clear", "PAP:CLEAR"
    GREEN = "green", "PAP:GREEN"
    AMBER = "amber", "PAP:AMBER"
    RED = "red", "PAP:RED"


# From the least to the most restrictive: an export may later refuse what is above
# the level it is allowed to carry (observables, part 2).
TLP_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
PAP_ORDER = (PAP.CLEAR, PAP.GREEN, PAP.AMBER, PAP.RED)
TLP_MAX_LENGTH = 12
PAP_MAX_LENGTH = 8


def stricter(order, *values: str | None) -> str | None:
    """The most restrictive of `values` in `order` (TLP_ORDER, PAP_ORDER); unknown and
    empty values are left out (None when none is left)."""
    ranks = {str(value): rank for rank, value in enumerate(order)}
    known = [value for value in values if value in ranks]
    return max(known, key=ranks.__getitem__) if known else None


def css_suffix(value: str) -> str:
    """`amber+strict` -> `amber-strict`: a marking value as part of a CSS class."""
    return value.replace("+", "-")


def tlp_label(value: str) -> str:
    try:
        return TLP(value).label
    except ValueError:
        return f"TLP:{value.upper()}"


def pap_label(value: str) -> str:
    try:
        return PAP(value).label
    except ValueError:
        return f"PAP:{value.upper()}"
