"""Reads of disclosures on someone's behalf. Every one starts from the incident
need-to-know gate (incidents.selectors.visible_incidents): out of sight is 404."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from disclosures.deadlines import Deadline, deadlines_for
from disclosures.models import Approval, Disclosure, DisclosureVersion
from incidents.selectors import visible_incidents


def visible_disclosures(user):
    """Disclosures of incidents the user may see, for people whose role reads disclosures."""
    if (
        user is None
        or not user.is_authenticated
        or not user.has_perm("disclosures.view_disclosure")
    ):
        return Disclosure.objects.none()
    return Disclosure.objects.filter(incident__in=visible_incidents(user))


def _with_details(disclosures):
    return disclosures.select_related(
        "incident", "current_version", "current_version__author", "created_by"
    ).prefetch_related(
        Prefetch("approvals", queryset=Approval.objects.select_related("approver", "version")),
        "publications",
    )


def disclosure_get(*, user, pk) -> Disclosure:
    """One disclosure the user may see, or 404 (never 403)."""
    return get_object_or_404(_with_details(visible_disclosures(user)), pk=pk)


def disclosure_list(*, user, incident=None):
    disclosures = _with_details(visible_disclosures(user))
    if incident is not None:
        disclosures = disclosures.filter(incident=incident)
    return disclosures


def versions_of(disclosure: Disclosure):
    return DisclosureVersion.objects.filter(disclosure=disclosure).select_related("author")


def deadlines_of(disclosure: Disclosure) -> list[Deadline]:
    incident = disclosure.incident
    published = sorted(p.published_at for p in disclosure.publications.all())
    return deadlines_for(
        regime=disclosure.regime,
        aware_at=incident.aware_at,
        discovered_at=incident.discovered_at,
        materiality_determined_at=disclosure.materiality_determined_at,
        notified_at=published[0] if published else None,
    )


def standing_approvals(disclosure: Disclosure) -> list[Approval]:
    return [
        approval
        for approval in disclosure.approvals.all()
        if approval.voided_at is None and approval.version_id == disclosure.current_version_id
    ]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same"
    text: str


def version_diff(older: DisclosureVersion, newer: DisclosureVersion) -> list[DiffLine]:
    """A line-by-line comparison for people: what was removed, added and kept."""
    lines = []
    for line in difflib.ndiff(older.body.splitlines(), newer.body.splitlines()):
        marker, text = line[:2], line[2:]
        if marker == "+ ":
            lines.append(DiffLine("added", text))
        elif marker == "- ":
            lines.append(DiffLine("removed", text))
        elif marker == "  ":
            lines.append(DiffLine("same", text))
    return lines
