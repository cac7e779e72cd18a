"""Triage: acknowledge, ignore (with a reason), escalate into a new incident, merge into
an existing one, and un-merge. Triage needs `intake.change_alert`; an incident is only
ever reached through the need-to-know gate, and its own services (filing, timeline,
observables) write to it, with their audit events and notifications."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.errors import IllegalStateChange
from core.permissions import require_permission
from core.text import clean_short_text
from incidents import services as incident_services
from incidents.models import Incident, Severity
from incidents.selectors import may_see
from intake.models import REASON_MAX_LENGTH, TRIAGE_TRANSITIONS, Alert, AlertObservable, AlertStatus
from intake.selectors import forget_status_counts
from intake.services.evidence import attachments_to_evidence
from observables import services as observable_services
from observables.models import Observable, Source
from observables.services import ObservableInput

__all__ = [
    "MAX_ALERTS_PER_TRIAGE",
    "alert_unmerge",
    "alerts_acknowledge",
    "alerts_escalate",
    "alerts_ignore",
    "alerts_merge",
]

MAX_ALERTS_PER_TRIAGE = 500
SEVERITY_ORDER = list(Severity.values)
DESCRIPTION_MAX_LENGTH = 20_000


def _locked(alerts: Sequence[Alert], actor) -> list[Alert]:
    require_permission(actor, "intake.change_alert")
    ids = sorted({alert.pk for alert in alerts})
    if not ids:
        raise ValidationError({"alerts": ["Choose at least one alert."]})
    if len(ids) > MAX_ALERTS_PER_TRIAGE:
        raise ValidationError({"alerts": [f"At most {MAX_ALERTS_PER_TRIAGE} alerts at once."]})
    locked = list(
        Alert.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=ids).order_by("id")
    )
    if len(locked) != len(ids):
        raise ValidationError({"alerts": ["Some of these alerts no longer exist."]})
    return locked


def _check(alerts: list[Alert], status: str) -> None:
    refused = [alert for alert in alerts if status not in TRIAGE_TRANSITIONS[alert.status]]
    if refused:
        names = ", ".join(f"#{a.pk} ({a.get_status_display().lower()})" for a in refused)
        raise IllegalStateChange(f"These alerts cannot become {status}: {names}.")


def _set(alerts: list[Alert], now, **fields) -> None:
    forget_status_counts()
    for alert in alerts:
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.updated_at = now
    Alert.objects.bulk_update(alerts, [*fields, "updated_at"])


@transaction.atomic
def alerts_acknowledge(*, alerts: Sequence[Alert], actor) -> list[Alert]:
    """Someone has looked at these new (or ignored) alerts."""
    locked = _locked(alerts, actor)
    todo = [alert for alert in locked if alert.status != AlertStatus.ACKNOWLEDGED]
    _check(todo, AlertStatus.ACKNOWLEDGED)
    _set(todo, timezone.now(), status=AlertStatus.ACKNOWLEDGED, ignore_reason="")
    audit.record("alerts.acknowledged", actor=actor, data={"ids": [alert.pk for alert in todo]})
    return locked


@transaction.atomic
def alerts_ignore(*, alerts: Sequence[Alert], actor, reason: str) -> list[Alert]:
    """Noise: ignored, with the reason kept on each alert and in the audit log."""
    reason = clean_short_text(reason, field="reason", max_length=REASON_MAX_LENGTH)
    locked = _locked(alerts, actor)
    _check(locked, AlertStatus.IGNORED)
    _set(locked, timezone.now(), status=AlertStatus.IGNORED, ignore_reason=reason)
    audit.record(
        "alerts.ignored",
        actor=actor,
        data={"ids": [alert.pk for alert in locked], "reason": reason},
    )
    return locked


def _observable_inputs(alerts: list[Alert]) -> tuple[list[ObservableInput], list[AlertObservable]]:
    # Values intake only proposed (from a forwarded mail: the attacker wrote them) stay on
    # the alert for a person to add; only what the sender sent joins the incident.
    rows = list(
        AlertObservable.objects.filter(alert__in=alerts, proposed=False).order_by("alert_id", "id")
    )
    return [ObservableInput(type=row.type, value=row.value) for row in rows], rows


def _join(incident: Incident, alerts: list[Alert], actor, *, verb: str) -> None:
    """The alerts' observables onto the incident (deduplicated by the observables
    service) and one timeline entry per alert."""
    items, rows = _observable_inputs(alerts)
    if items:
        # The observables service takes at most MAX_ITEMS_PER_REQUEST at once; many
        # alerts together may hold more (one answer per item, in order, either way).
        step = observable_services.MAX_ITEMS_PER_REQUEST
        added = [
            entry
            for start in range(0, len(items), step)
            for entry in observable_services.observables_add(
                incident=incident, actor=actor, items=items[start : start + step], source=Source.API
            )
        ]
        # Credit each observable the join created to the first alert row holding it.
        credited = set()
        for row, entry in zip(rows, added, strict=True):
            if entry.created and entry.observable.pk not in credited:
                credited.add(entry.observable.pk)
                row.created_observable_id = entry.observable.pk
        AlertObservable.objects.bulk_update(
            [row for row in rows if row.created_observable_id in credited],
            ["created_observable_id"],
        )
    for alert in alerts:
        incident_services.timeline_entry_add(
            incident=incident,
            actor=actor,
            body=(
                f"Alert #{alert.pk} {verb} from {alert.source}"
                f"{f' ({alert.source_ref})' if alert.source_ref else ''}: {alert.title}"
                f" — seen {alert.count} time{'s' if alert.count != 1 else ''}."
            ),
            occurred_at=alert.observed_at or alert.first_seen,
        )


def _description(alerts: list[Alert]) -> str:
    parts = []
    for alert in alerts:
        head = f"Alert #{alert.pk} from {alert.source}"
        if alert.source_ref:
            head += f" ({alert.source_ref})"
        parts.append(f"{head}: {alert.title}\n{alert.description}".strip())
    return "\n\n".join(parts)[:DESCRIPTION_MAX_LENGTH]


def alerts_escalate(*, alerts: Sequence[Alert], actor, title: str = "") -> Incident:
    """File one new incident from the alerts (through the incidents filing service: its
    reference, timeline, audit event and notifications), carrying their observables;
    then, once that has committed, their attachments become its evidence items."""
    incident, locked = _escalate(alerts=alerts, actor=actor, title=title)
    attachments_to_evidence(alerts=locked, incident=incident, actor=actor)
    return incident


@transaction.atomic(durable=True)
def _escalate(*, alerts: Sequence[Alert], actor, title: str) -> tuple[Incident, list[Alert]]:
    locked = _locked(alerts, actor)
    _check(locked, AlertStatus.ESCALATED)
    first = locked[0]
    severity = max((alert.severity for alert in locked), key=SEVERITY_ORDER.index)
    observed = [alert.observed_at or alert.first_seen for alert in locked]
    incident = incident_services.incident_file(
        reporter=actor,
        title=title or first.title,
        severity=severity,
        description=_description(locked),
        discovered_at=min(observed),
        discovery_method=f"Alert{'s' if len(locked) > 1 else ''} from "
        + ", ".join(sorted({alert.source for alert in locked})),
    )
    _join(incident, locked, actor, verb="escalated")
    _set(locked, timezone.now(), status=AlertStatus.ESCALATED, incident=incident)
    audit.record(
        "alerts.escalated",
        actor=actor,
        target=incident,
        data={"incident": incident.reference, "ids": [alert.pk for alert in locked]},
    )
    return incident, locked


def alerts_merge(*, alerts: Sequence[Alert], incident: Incident, actor) -> list[Alert]:
    """The alerts join an existing incident the actor may see and work on; once that
    has committed, their attachments become its evidence items."""
    locked = _merge(alerts=alerts, incident=incident, actor=actor)
    attachments_to_evidence(alerts=locked, incident=incident, actor=actor)
    return locked


@transaction.atomic(durable=True)
def _merge(*, alerts: Sequence[Alert], incident: Incident, actor) -> list[Alert]:
    require_permission(actor, "incidents.change_incident")
    if not may_see(actor, incident):
        raise PermissionDenied("You may not see this incident.")
    locked = _locked(alerts, actor)
    _check(locked, AlertStatus.MERGED)
    _join(incident, locked, actor, verb="merged")
    _set(locked, timezone.now(), status=AlertStatus.MERGED, incident=incident)
    audit.record(
        "alerts.merged",
        actor=actor,
        target=incident,
        data={"incident": incident.reference, "ids": [alert.pk for alert in locked]},
    )
    return locked


def _worked_on(observable: Observable) -> bool:
    """Signs that a person took the observable up after the merge added it."""
    return bool(
        observable.is_ioc
        or observable.sighted
        or observable.tags
        or observable.description
        or observable.evidence_id
    )


@transaction.atomic
def alert_unmerge(*, alert: Alert, actor, reason: str = "") -> Alert:
    """Take a merged alert out of its incident again: back to acknowledged; the
    observables its merge created leave with it unless another alert on the incident
    holds them or a person has worked on them."""
    (alert,) = _locked([alert], actor)
    if alert.status != AlertStatus.MERGED or alert.incident_id is None:
        raise IllegalStateChange("Only a merged alert can be taken out of its incident.")
    incident = Incident.objects.get(pk=alert.incident_id)
    require_permission(actor, "incidents.change_incident")
    if not may_see(actor, incident):
        raise PermissionDenied("You may not see this incident.")
    reason = clean_short_text(reason, field="reason", required=False, max_length=REASON_MAX_LENGTH)
    rows = list(alert.observables.all())
    others = AlertObservable.objects.filter(alert__incident=incident).exclude(alert=alert)
    held_elsewhere = {(row.type, row.value_digest): row for row in others.order_by("id")}
    removed = []
    for row in rows:
        if row.created_observable_id is None:
            continue
        other = held_elsewhere.get((row.type, row.value_digest))
        if other is not None:
            # Another alert on the incident still holds it: the credit moves there.
            AlertObservable.objects.filter(pk=other.pk).update(
                created_observable_id=row.created_observable_id
            )
            continue
        observable = Observable.objects.filter(
            pk=row.created_observable_id, incident=incident
        ).first()
        if observable is None or _worked_on(observable):
            continue
        observable_services.observable_delete(
            observable=observable,
            actor=actor,
            reason=f"Alert #{alert.pk} taken out of {incident.reference}.",
        )
        removed.append(row.normalized_value)
    AlertObservable.objects.filter(alert=alert).update(created_observable_id=None)
    body = f"Alert #{alert.pk} taken out again: {alert.title}" + (f" — {reason}" if reason else "")
    if removed:
        body += f" ({len(removed)} observable{'s' if len(removed) != 1 else ''} removed)"
    incident_services.timeline_entry_add(incident=incident, actor=actor, body=body + ".")
    _set([alert], timezone.now(), status=AlertStatus.ACKNOWLEDGED, incident=None)
    audit.record(
        "alert.unmerged",
        actor=actor,
        target=alert,
        data={"incident": incident.reference, "removed": removed, "reason": reason},
    )
    return alert
