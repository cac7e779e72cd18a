"""What the printable incident report (dashboard.report) shows of observables: each
with its TLP and PAP labels, TLP:RED only for the incident's crew and the leads, and
how many were left out for the reader. A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.marking import TLP
from incidents.models import Incident
from observables.selectors import incident_observables, incident_techniques
from observables.sharing.tlp import may_receive_red

REPORT_LIMIT = 1000


@dataclass
class ReportObservables:
    observables: list = field(default_factory=list)
    withheld_red: int = 0
    more: bool = False
    techniques: list = field(default_factory=list)


def report_observables(*, user, incident: Incident) -> ReportObservables:
    everything = incident_observables(user=user, incident=incident).order_by("type", "id")
    shown = everything if may_receive_red(user, incident) else everything.exclude(tlp=TLP.RED)
    rows = list(shown[: REPORT_LIMIT + 1])
    withheld = 0 if shown is everything else everything.filter(tlp=TLP.RED).count()
    return ReportObservables(
        observables=rows[:REPORT_LIMIT],
        withheld_red=withheld,
        more=len(rows) > REPORT_LIMIT,
        techniques=list(incident_techniques(user=user, incident=incident)),
    )
