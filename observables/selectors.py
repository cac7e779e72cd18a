"""Reads of observables on someone's behalf, all within need-to-know.

`visible_observables(user)` is the gate: observables of the incidents the person may
see (incidents.selectors.visible_incidents), every one of them for those who read
observables, only their own for those who may only add them (reporters). Correlation
(`related_incidents`, `shared_with`) and look-ups start from it on *both* sides, so an
incident out of a person's sight is never shown, counted or hinted at; values marked
ignore-for-correlation are left out on both sides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from incidents.models import Incident
from incidents.selectors import visible_incidents
from observables.models import IncidentTechnique, Observable
from observables.values import lookup_keys

# How many other incidents an observable lists as related (the count is always whole).
RELATED_LIMIT = 20
# How many incidents the "shares observables with" line names.
SHARED_WITH_LIMIT = 20


def reads_observables(user) -> bool:
    return user is not None and user.is_active and user.has_perm("observables.view_observable")


def visible_observables(user):
    """The gate: observables the user may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Observable.objects.none()
    incidents = visible_incidents(user)
    observables = Observable.objects.all()
    # Those who see every incident need no semi-join on incidents (it costs at scale).
    if incidents.query.where:
        observables = observables.filter(incident__in=incidents)
    if reads_observables(user):
        return observables
    if user.has_perm("observables.add_observable"):
        return observables.filter(created_by=user)
    return Observable.objects.none()


def incident_observables(*, user, incident: Incident, type=None, tlp=None, is_ioc=None):
    """An incident's observables the user may see, newest first, filtered."""
    observables = visible_observables(user).filter(incident=incident)
    if type:
        observables = observables.filter(type=type)
    if tlp:
        observables = observables.filter(tlp=tlp)
    if is_ioc is not None:
        observables = observables.filter(is_ioc=is_ioc)
    return observables.select_related("evidence").order_by("-id")


def observable_get(*, user, incident_pk, pk) -> Observable:
    """One observable of an incident the user may see, or 404."""
    return get_object_or_404(
        visible_observables(user).select_related("incident", "evidence"),
        incident_id=incident_pk,
        pk=pk,
    )


@dataclass
class Related:
    """The other incidents holding an observable's type and value: the first few
    (`incidents`, newest first, as (id, reference)) and how many there are (`total`)."""

    incidents: list[tuple[int, str]] = field(default_factory=list)
    total: int = 0


def related_incidents(
    *, user, incident: Incident, observables, limit: int = RELATED_LIMIT
) -> dict[int, Related]:
    """For each of `incident`'s observables (by id), the other incidents the user may see
    that hold the same type and normalised value. One query for all of them."""
    wanted = [obs for obs in observables if not obs.ignore_for_correlation]
    if not wanted:
        return {}
    keys = {(obs.type, obs.value_digest) for obs in wanted}
    partition = [F("type"), F("value_digest")]
    rows = (
        visible_observables(user)
        .filter(
            ignore_for_correlation=False,
            type__in={type_ for type_, _ in keys},
            value_digest__in={digest for _, digest in keys},
        )
        .exclude(incident=incident)
        .annotate(
            rank=Window(RowNumber(), partition_by=partition, order_by=F("incident_id").desc()),
            total=Window(Count("pk"), partition_by=partition),
        )
        .filter(rank__lte=limit)
        .order_by()
        .values_list("type", "value_digest", "incident_id", "incident__reference", "total")
    )
    found: dict[tuple[str, str], Related] = defaultdict(Related)
    for type_, digest, incident_id, reference, total in rows:
        related = found[(type_, digest)]
        related.incidents.append((incident_id, reference))
        related.total = total
    for related in found.values():
        related.incidents.sort(reverse=True)
    return {
        obs.pk: found[(obs.type, obs.value_digest)]
        for obs in wanted
        if (obs.type, obs.value_digest) in found
    }


def shared_with(*, user, incident: Incident, limit: int = SHARED_WITH_LIMIT) -> list[dict]:
    """The other incidents the user may see that share observables with `incident`, the
    most shared first: `id`, `reference`, `shared` (how many). One query."""
    mine = visible_observables(user).filter(
        incident=incident,
        ignore_for_correlation=False,
        type=OuterRef("type"),
        value_digest=OuterRef("value_digest"),
    )
    return list(
        visible_observables(user)
        .filter(ignore_for_correlation=False)
        .exclude(incident=incident)
        .filter(Exists(mine))
        .values("incident_id", "incident__reference")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "-incident_id")[:limit]
    )


def lookup(*, user, value: str, type: str | None = None):
    """Every observable the user may see that holds `value` (normalised for each type it
    fits, or for `type`; defanged values are refanged first), newest first, with its
    incident."""
    keys = lookup_keys(value, type)
    if not keys:
        return Observable.objects.none()
    condition = Q()
    for type_, _, digest in keys:
        condition |= Q(type=type_, value_digest=digest)
    return visible_observables(user).filter(condition).select_related("incident").order_by("-id")


def incident_techniques(*, user, incident: Incident):
    """The ATT&CK techniques of an incident the user sees (already through the gate),
    for those who read observables (reporters do not)."""
    if not user.has_perm("observables.view_incidenttechnique"):
        return IncidentTechnique.objects.none()
    return IncidentTechnique.objects.filter(incident=incident).order_by("technique_id")


def technique_get(*, user, incident_pk, pk) -> IncidentTechnique:
    return get_object_or_404(
        IncidentTechnique.objects.filter(incident__in=visible_incidents(user)).select_related(
            "incident"
        ),
        incident_id=incident_pk,
        pk=pk,
    )


def technique_by_pk(*, user, pk) -> IncidentTechnique:
    return get_object_or_404(
        IncidentTechnique.objects.filter(incident__in=visible_incidents(user)).select_related(
            "incident"
        ),
        pk=pk,
    )
