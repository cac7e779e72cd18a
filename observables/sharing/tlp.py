"""TLP enforced, not decorative: what marked TLP:RED may leave Cordon, and for whom.

TLP:RED is "for the eyes and ears of individual recipients only": within Cordon, the
people who work the incident, its crew and the leads (incidents.selectors.crew_and_leads).
Anything that carries observables out of the application (an export, the printable
report, a webhook or an e-mail) goes through `releasable()` for the person it is made
for, so a red observable never reaches anyone else. Every such file states the highest
marking it holds (`highest_tlp`).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.marking import TLP, TLP_ORDER
from incidents.models import Incident
from incidents.selectors import may_receive_red


def releasable(observables, *, user, incident: Incident):
    """`observables` (a queryset of `incident`'s) without those marked TLP:RED, unless
    `user` is of the incident's crew or a lead."""
    if may_receive_red(user, incident):
        return observables
    return observables.exclude(tlp=TLP.RED)


def highest_tlp(markings: Iterable[str], *, default: str = TLP.CLEAR) -> str:
    """The most restrictive of `markings` (TLP:CLEAR for none)."""
    ranks: dict[str, int] = {str(value): rank for rank, value in enumerate(TLP_ORDER)}
    found = [value for value in markings if value in ranks]
    return max(found, key=ranks.__getitem__) if found else default
