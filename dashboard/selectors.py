"""The dashboard's reads, each on someone's behalf and each through the need-to-know gate
(incidents.selectors.visible_incidents, or the evidence and disclosure selectors
built on it): a restricted incident the person does not crew appears in no list and
no count.

The home page runs a fixed number of queries whatever the amount of data: every list
is cut with LIMIT in the database and every count is a GROUP BY there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber

from dashboard.metrics import IncidentTimes
from disclosures import services as disclosure_services
from disclosures.lifecycle import FINAL, DisclosureStatus
from disclosures.models import Approval, Publication, Regime
from disclosures.selectors import disclosure_list, visible_disclosures
from evidence.models import IntegrityAcknowledgement
from evidence.models import Status as EvidenceStatus
from evidence.selectors import visible_evidence
from incidents.lifecycle import Status
from incidents.models import (
    CLOSED_TASK_STATUSES,
    OPEN_ACTION_ITEM_STATUSES,
    ActionItemStatus,
    CrewMember,
    Incident,
    Severity,
    Task,
    TimelineEntry,
)
from incidents.selectors import action_items_visible, tag_facets, visible_incidents

HOME_LIST_LIMIT = 15
RECENT_ACTIVITY_LIMIT = 15
# Disclosures whose clocks the home page computes: those of the incidents the
# organisation became aware of first, whose legal clocks run out first.
CLOCK_DISCLOSURE_LIMIT = 50
OPEN_STATUSES = [status for status in Status if status != Status.CLOSED]


@dataclass(frozen=True)
class Limited:
    """The first rows of a list and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)


def open_incident_matrix(user) -> dict:
    """Open incidents the user may see, counted by severity and status in one GROUP BY."""
    counts = {
        (severity, status): count
        for severity, status, count in visible_incidents(user)
        .exclude(status=Status.CLOSED)
        .order_by()
        .values_list("severity", "status")
        .annotate(count=Count("id"))
    }
    rows = []
    for severity in reversed(Severity):  # critical first
        cells = [counts.get((severity.value, status.value), 0) for status in OPEN_STATUSES]
        rows.append({"severity": severity, "cells": cells, "total": sum(cells)})
    column_totals = [
        sum(counts.get((severity.value, status.value), 0) for severity in Severity)
        for status in OPEN_STATUSES
    ]
    return {
        "statuses": OPEN_STATUSES,
        "rows": rows,
        "column_totals": column_totals,
        "total": sum(column_totals),
    }


def recent_open_incidents(user, limit: int):
    return list(
        visible_incidents(user)
        .exclude(status=Status.CLOSED)
        .select_related("reporter")
        .order_by("-id")[:limit]
    )


def clock_disclosures(user):
    """Unfinished disclosures whose regulatory clocks may be running: per regime, the
    CLOCK_DISCLOSURE_LIMIT of oldest awareness (publications prefetched for the
    deadlines). Within one regime the deadlines follow awareness, so each regime's
    soonest clocks are among them, and a fresh 24-hour NIS2 clock is never pushed out
    by many older, slower ones."""
    return list(
        disclosure_list(user=user)
        .exclude(status__in=FINAL)
        .exclude(regime=Regime.NONE)  # no legal clock
        .annotate(
            rank_in_regime=Window(
                RowNumber(),
                partition_by=F("regime"),
                order_by=[F("incident__aware_at").asc(), F("id").asc()],
            )
        )
        .filter(rank_in_regime__lte=CLOCK_DISCLOSURE_LIMIT)
        .order_by("incident__aware_at", "id")
    )


def published_clock_disclosures(user, *, since: dt.datetime, limit: int = CLOCK_DISCLOSURE_LIMIT):
    """Disclosures under a regime that went out since `since`, latest first: their
    clocks have stopped (met or missed), or, like NIS2's final report, start with the
    publication and run on."""
    return list(
        disclosure_list(user=user)
        .filter(status=DisclosureStatus.PUBLISHED)
        .exclude(regime=Regime.NONE)
        .filter(
            Exists(Publication.objects.filter(disclosure=OuterRef("pk"), published_at__gte=since))
        )
        .order_by("-updated_at", "-id")[:limit]
    )


def _approval_role(user) -> str | None:
    """The role this person would approve in, by the disclosures service's own rule
    (manager; legal too where legal approval is required), or None."""
    try:
        return disclosure_services.approval_role_of(user)
    except disclosure_services.ApprovalRefused:
        return None


def disclosures_awaiting_approval(user, limit: int = HOME_LIST_LIMIT) -> Limited | None:
    """Disclosures in review that this person may approve: in the role they approve in,
    they neither wrote the disclosure nor its current version, and the current version
    has no standing approval in that role yet (the rules of
    disclosures.services.disclosure_approve, read here so the list offers only what
    the service would accept). None for people who approve nothing."""
    role = _approval_role(user) if user.is_active else None
    if role is None:
        return None
    approved_in_my_role = Approval.objects.filter(
        disclosure=OuterRef("pk"),
        version=OuterRef("current_version"),
        role=role,
        voided_at__isnull=True,
    )
    waiting = (
        visible_disclosures(user)
        .filter(status=DisclosureStatus.IN_REVIEW)
        .exclude(created_by=user)
        .exclude(current_version__author=user)
        .exclude(Exists(approved_in_my_role))
    )
    rows = list(
        waiting.select_related("incident", "current_version").order_by("incident__aware_at", "id")[
            :limit
        ]
    )
    total = len(rows) if len(rows) < limit else waiting.count()
    return Limited(rows=rows, total=total)


def open_incident_tags(user, limit: int = 20) -> list[tuple[str, int]]:
    """The most used tags among the open incidents the person may see (the overview's facet)."""
    return tag_facets(visible_incidents(user).exclude(status=Status.CLOSED), limit=limit)


def my_open_tasks(user, limit: int = HOME_LIST_LIMIT) -> Limited:
    tasks = (
        Task.objects.filter(assignee=user, incident__in=visible_incidents(user))
        .exclude(status__in=CLOSED_TASK_STATUSES)
        .exclude(incident__status=Status.CLOSED)
    )
    rows = list(tasks.select_related("incident").order_by("due_date", "due_at", "id")[:limit])
    total = len(rows) if len(rows) < limit else tasks.count()
    return Limited(rows=rows, total=total)


def my_open_action_items(user, limit: int = HOME_LIST_LIMIT) -> Limited:
    items = action_items_visible(user).filter(owner=user, status__in=OPEN_ACTION_ITEM_STATUSES)
    rows = list(items.order_by("due_date", "id")[:limit])
    total = len(rows) if len(rows) < limit else items.count()
    return Limited(rows=rows, total=total)


@dataclass(frozen=True)
class Alarms(Limited):
    """Integrity failures this person has not acknowledged, and how many they have."""

    acknowledged: int = 0


def evidence_integrity_failures(user, limit: int = HOME_LIST_LIMIT) -> Alarms:
    """The integrity failures the user sees and has not acknowledged themselves (an
    acknowledgement is per person: evidence.alarms), newest first."""
    failures = visible_evidence(user).filter(status=EvidenceStatus.INTEGRITY_FAILURE)
    seen = IntegrityAcknowledgement.objects.filter(item=OuterRef("pk"), person=user)
    open_failures = failures.exclude(Exists(seen))
    rows = list(open_failures.order_by("-id")[:limit])
    total = len(rows) if len(rows) < limit else open_failures.count()
    acknowledged = failures.filter(Exists(seen)).count()
    return Alarms(rows=rows, total=total, acknowledged=acknowledged)


def recent_crew_activity(user, limit: int = RECENT_ACTIVITY_LIMIT) -> list[TimelineEntry]:
    """The newest timeline entries of the incidents this person crews.

    Timeline entries rather than audit events: they are incident data, written for
    the crew to read, and seeing them follows seeing the incident. Audit events
    carry field changes, addresses and security events that only auditors and
    leads may read (audit.view_auditevent), so they would need a second gate.
    """
    on_my_crew = Exists(CrewMember.objects.filter(incident=OuterRef("incident"), user=user))
    return list(
        TimelineEntry.objects.filter(on_my_crew, incident__in=visible_incidents(user))
        .select_related("incident", "author")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- Metrics ---------------------------------------------------------------------


def incident_times(user) -> list[IncidentTimes]:
    """The timestamps the metrics need, for every incident the user may see, in two
    queries: the incidents' own columns, and the first publication per incident and
    regime of the disclosures the user may see (a GROUP BY with MIN)."""
    return _times(user, visible_incidents(user))


def incident_times_of(user, incident) -> IncidentTimes:
    """The same for one incident already read through the gate."""
    (times,) = _times(user, visible_incidents(user).filter(pk=incident.pk))
    return times


def _times(user, incidents: QuerySet[Incident]) -> list[IncidentTimes]:
    incidents = incidents.order_by()
    first_notified: dict[int, dict[str, dt.datetime]] = {}
    published = (
        Publication.objects.filter(
            disclosure__in=visible_disclosures(user), disclosure__incident__in=incidents
        )
        .exclude(disclosure__regime=Regime.NONE)  # time to notify is per regulatory regime
        .order_by()
        .values("disclosure__incident_id", "disclosure__regime")
        .annotate(first=Min("published_at"))
        .values_list("disclosure__incident_id", "disclosure__regime", "first")
    )
    for incident_id, regime, first in published:
        first_notified.setdefault(incident_id, {})[regime] = first
    rows = incidents.values_list(
        "pk",
        "reference",
        "severity",
        "aware_at",
        "occurred_at",
        "discovered_at",
        "contained_at",
        "resolved_at",
        "tlp",
    )
    return [IncidentTimes(*row, first_notified=first_notified.get(row[0]) or {}) for row in rows]


def action_item_status_counts(user) -> dict[str, int]:
    """Action items of visible incidents by status (one GROUP BY), every status present."""
    counts = dict(
        action_items_visible(user)
        .order_by()
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return {status.value: counts.get(status.value, 0) for status in ActionItemStatus}
