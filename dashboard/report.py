"""Everything the printable incident report shows, gathered through the apps' own
selectors (visible_incidents, incident_evidence, disclosure_list, versions_of,
review_get's shape) in a fixed number of queries per section."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from dashboard import metrics
from dashboard.selectors import incident_times_of
from disclosures.models import DisclosureVersion, Publication, Regime
from disclosures.selectors import disclosure_list
from evidence.models import CustodyEvent
from evidence.selectors import incident_evidence, legal_hold, releasable_evidence
from incidents.models import (
    ActionItem,
    Finding,
    Incident,
    PostIncidentReview,
    ReviewSection,
)
from incidents.selectors import incident_detail
from observables.report import ReportObservables, report_observables


@dataclass
class EvidenceRow:
    item: object
    custody: list = field(default_factory=list)

    @property
    def custody_count(self) -> int:
        return len(self.custody)

    @property
    def last_custody(self):
        return self.custody[-1] if self.custody else None


@dataclass
class DisclosureRow:
    disclosure: object
    versions: list
    approvals: list
    publications: list

    @property
    def approved_version_ids(self) -> set[int]:
        """Versions with a standing approval (a voided one no longer approves anything)."""
        return {approval.version_id for approval in self.approvals if approval.voided_at is None}


@dataclass
class IncidentReport:
    incident: Incident
    durations: list[tuple[str, str]]
    evidence: list[EvidenceRow]
    evidence_withheld_red: int
    hold: object
    disclosures: list[DisclosureRow]
    review: PostIncidentReview | None
    action_items: list[ActionItem]
    observables: ReportObservables

    def section_counts(self) -> dict[str, int]:
        incident = self.incident
        return {
            "timeline": len(incident.timeline.all()),
            "systems": len(incident.systems.all()),
            "tasks": len(incident.tasks.all()),
            "evidence": len(self.evidence),
            "disclosures": len(self.disclosures),
            "action_items": len(self.action_items),
            "observables": len(self.observables.observables),
        }


def _evidence(user, incident: Incident) -> tuple[list[EvidenceRow], int]:
    """The evidence rows the reader may take away (TLP:RED only for the crew and the
    leads), and how many were left out."""
    items, withheld_red = releasable_evidence(
        incident_evidence(user=user, incident=incident), user=user, incident=incident
    )
    rows = {item.pk: EvidenceRow(item=item) for item in items}
    # One query for every item's custody log (evidence.selectors.custody_log is per item).
    events = (
        CustodyEvent.objects.filter(item__incident=incident)
        .select_related("actor")
        .order_by("item_id", "at", "id")
    )
    for event in events:
        if event.item_id in rows:
            rows[event.item_id].custody.append(event)
    return list(rows.values()), withheld_red


def _disclosures(user, incident: Incident) -> list[DisclosureRow]:
    disclosures = list(disclosure_list(user=user, incident=incident).order_by("id"))
    publications = defaultdict(list)
    for publication in (
        Publication.objects.filter(disclosure__in=disclosures)
        .select_related("published_by", "version")
        .order_by("published_at", "id")
    ):
        publications[publication.disclosure_id].append(publication)
    versions = defaultdict(list)
    for version in (
        DisclosureVersion.objects.filter(disclosure__in=disclosures)
        .select_related("author")
        .order_by("disclosure_id", "number")
    ):
        versions[version.disclosure_id].append(version)
    rows = []
    for disclosure in disclosures:
        approvals = sorted(disclosure.approvals.all(), key=lambda a: (a.approved_at, a.pk))
        rows.append(
            DisclosureRow(
                disclosure=disclosure,
                versions=versions[disclosure.pk],
                approvals=approvals,
                publications=publications[disclosure.pk],
            )
        )
    return rows


def _review(incident: Incident) -> PostIncidentReview | None:
    sections = ReviewSection.objects.select_related("updated_by").prefetch_related(
        Prefetch("findings", queryset=Finding.objects.all())
    )
    return (
        PostIncidentReview.objects.select_related("completed_by")
        .prefetch_related(Prefetch("sections", queryset=sections))
        .filter(incident=incident)
        .first()
    )


def incident_report(*, user, pk) -> IncidentReport:
    """The report of one incident the user may see, or 404 (incidents.selectors)."""
    incident = incident_detail(user=user, pk=pk)
    times = incident_times_of(user, incident)
    durations = metrics.incident_durations(times)
    regime_labels = dict(Regime.choices)
    review = _review(incident)
    action_items = list(
        ActionItem.objects.filter(incident=incident)
        .select_related("owner", "section")
        .order_by("due_date", "id")
    )
    evidence, evidence_withheld_red = _evidence(user, incident)
    return IncidentReport(
        incident=incident,
        durations=[
            (metrics.metric_label(metric, regime_labels), metrics.duration_text(seconds))
            for metric, seconds in durations.items()
        ],
        evidence=evidence,
        evidence_withheld_red=evidence_withheld_red,
        hold=legal_hold(incident=incident),
        disclosures=_disclosures(user, incident),
        review=review,
        action_items=action_items,
        observables=report_observables(user=user, incident=incident),
    )
