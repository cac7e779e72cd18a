"""Reads of alerts that depend on who asks. Triagers (`intake.view_alert`: leads and
responders) see the whole queue; anyone else who may send alerts (a reporter's token)
sees only the alerts they sent. The incident an alert became or joined is shown only
to those who may see that incident (the need-to-know gate)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from incidents.selectors import visible_incidents
from intake.models import Alert, AlertObservable, AlertStatus
from observables.selectors import visible_observables

MAX_SUGGESTIONS = 10


def visible_alerts(user):
    if not user.is_authenticated or not user.is_active:
        return Alert.objects.none()
    if user.has_perm("intake.view_alert"):
        return Alert.objects.all()
    if user.has_perm("intake.add_alert"):
        return Alert.objects.filter(sender=user)
    return Alert.objects.none()


def alert_get(*, user, pk) -> Alert:
    """One alert the user may see, or 404."""
    return get_object_or_404(visible_alerts(user), pk=pk)


def filtered_alerts(
    *, user, status="", source="", severity="", type="", observable="", has_observables=None
):
    """The queue, newest first, narrowed by what the filters give."""
    alerts = visible_alerts(user)
    if status:
        alerts = alerts.filter(status=status)
    if source:
        alerts = alerts.filter(source=source)
    if severity:
        alerts = alerts.filter(severity=severity)
    if type:
        alerts = alerts.filter(type=type)
    if observable:
        alerts = alerts.filter(observables__normalized_value=observable)
    if has_observables is not None:
        holds = Exists(AlertObservable.objects.filter(alert=OuterRef("pk")))
        alerts = alerts.filter(holds if has_observables else ~holds)
    return alerts.order_by("-last_seen", "-id")


STATUS_COUNTS_KEY = "intake:status-counts"
STATUS_COUNTS_SECONDS = 10


def _count_by_status(alerts) -> dict[str, int]:
    rows = alerts.values("status").annotate(n=Count("id")).order_by()
    counts = dict.fromkeys(AlertStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def status_counts(*, user) -> dict[str, int]:
    """Alerts per status in the user's sight. The whole queue's (what every triager
    sees) is one scan of the table, kept in the cache until an intake write commits
    (forget_status_counts) or for STATUS_COUNTS_SECONDS at most."""
    if not user.has_perm("intake.view_alert"):
        return _count_by_status(visible_alerts(user))
    counts = cache.get(STATUS_COUNTS_KEY)
    if counts is None:
        counts = _count_by_status(visible_alerts(user))
        cache.set(STATUS_COUNTS_KEY, counts, STATUS_COUNTS_SECONDS)
    return counts


def forget_status_counts() -> None:
    """After a write to alerts commits: the cached counts are stale."""
    transaction.on_commit(lambda: cache.delete(STATUS_COUNTS_KEY))


def visible_incident_ids(*, user, alerts) -> set[int]:
    """Of the incidents these alerts became or joined, those the user may see."""
    ids = {alert.incident_id for alert in alerts if alert.incident_id}
    if not ids:
        return set()
    return set(visible_incidents(user).filter(pk__in=ids).values_list("pk", flat=True))


def merge_suggestions(*, user, alert: Alert) -> dict[str, list]:
    """Incidents the user may see and other alerts in the user's sight that hold one of
    the alert's observables (same type and normalised value), newest first."""
    keys = list(alert.observables.values_list("type", "value_digest"))
    if not keys:
        return {"incidents": [], "alerts": []}
    match = Q()
    held = Q()
    for type_, digest in keys:
        match |= Q(observables__type=type_, observables__value_digest=digest)
        held |= Q(type=type_, value_digest=digest)
    holding = visible_observables(user).filter(held, ignore_for_correlation=False)
    incidents = list(
        visible_incidents(user)
        .filter(pk__in=holding.values("incident_id"))
        .exclude(pk=alert.incident_id or 0)
        .order_by("-id")[:MAX_SUGGESTIONS]
    )
    alerts = list(
        visible_alerts(user)
        .filter(match)
        .exclude(pk=alert.pk)
        .distinct()
        .order_by("-last_seen", "-id")[:MAX_SUGGESTIONS]
    )
    return {"incidents": incidents, "alerts": alerts}
