"""Receiving alerts: validate, deduplicate, suppress, store; one transaction per batch.

Deduplication is safe under concurrency without a lock every request shares: on
PostgreSQL each batch first takes a transaction-level advisory lock per dedup key (in
key order, so two batches never wait on each other in a circle), then reads the rows
that exist, raises their count and inserts the rest. Eight clients posting the same
alert at once queue on that one key and produce one row with count 8; alerts with
different keys never wait on each other. The unique constraint on `dedup_key` is the
backstop (SQLite serialises writers anyway).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

import audit
from core.dates import validate_event_time
from core.permissions import require_permission
from core.text import clean_multiline_text, clean_short_text, normalize_short_text
from incidents.models import Severity
from intake.models import (
    SOURCE_MAX_LENGTH,
    SOURCE_REF_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TYPE_NAME_MAX_LENGTH,
    Alert,
    AlertAttachment,
    AlertObservable,
    AlertStatus,
    SuppressionRule,
)
from intake.notify import notify_new_alerts
from intake.selectors import forget_status_counts
from observables.values import normalise, value_digest

__all__ = [
    "MAX_ALERTS_PER_REQUEST",
    "MAX_OBSERVABLES_PER_ALERT",
    "AlertInput",
    "Received",
    "alerts_receive",
    "dedup_key",
]

MAX_ALERTS_PER_REQUEST = 500
MAX_OBSERVABLES_PER_ALERT = 200
# An arbitrary constant: the first half of intake's advisory lock keys, so that they
# never meet another use of pg_advisory_xact_lock.
ADVISORY_LOCK_CLASS = 0x1A7E


@dataclass
class AlertInput:
    """One alert as a sender gives it. `observables` are (type, value) pairs."""

    source: str
    title: str
    source_ref: str = ""
    severity: str = Severity.MEDIUM
    type: str = ""
    description: str = ""
    observed_at: datetime | None = None
    observables: Sequence[tuple[str, str]] = ()
    raw: str = ""
    proposed: Sequence[tuple[str, str]] = ()  # extracted by intake (a mail), not sent
    attachments: Sequence = ()  # intake.mail.Attachment: kept with a new alert
    notes: str = ""


@dataclass
class Received:
    """What receiving one item did: a new alert (`created`) or a repeat of one."""

    alert: Alert
    created: bool


@dataclass
class _Prepared:
    item: AlertInput
    key: str
    observables: dict[tuple[str, str], tuple[str, str, bool]] = field(default_factory=dict)


def _normalised_title(title: str) -> str:
    return " ".join(title.casefold().split())


def dedup_key(*, source: str, source_ref: str, type: str, title: str, observables) -> str:
    """The SHA-256 an alert is deduplicated on: of source and reference, or without a
    reference of source, type, normalised title and the sorted (type, digest) pairs."""
    if source_ref:
        parts: list = ["ref", source, source_ref]
    else:
        parts = ["fingerprint", source, type, _normalised_title(title), sorted(observables)]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def _short(value: str, name: str, max_length: int, *, required: bool = False) -> str:
    return clean_short_text(value or "", field=name, required=required, max_length=max_length)


def _prepare_one(item: AlertInput) -> _Prepared:
    item.source = _short(item.source, "source", SOURCE_MAX_LENGTH, required=True)
    item.source_ref = _short(item.source_ref, "source_ref", SOURCE_REF_MAX_LENGTH)
    item.title = _short(item.title, "title", TITLE_MAX_LENGTH, required=True)
    item.type = _short(item.type, "type", TYPE_NAME_MAX_LENGTH)
    if item.severity not in Severity.values:
        raise ValidationError({"severity": [f"Choose from {', '.join(Severity.values)}."]})
    item.description = clean_multiline_text(item.description, field="description")
    item.notes = clean_multiline_text(item.notes, field="notes")
    if item.observed_at is not None:
        try:
            validate_event_time(item.observed_at)
        except ValidationError as error:
            raise ValidationError({"observed_at": error.messages}) from error
    if len(item.observables) + len(item.proposed) > MAX_OBSERVABLES_PER_ALERT:
        raise ValidationError(
            {"observables": [f"At most {MAX_OBSERVABLES_PER_ALERT} observables per alert."]}
        )
    limit = settings.INTAKE_RAW_MAX_BYTES
    if len(item.raw.encode()) > limit:
        item.raw = item.raw.encode()[:limit].decode(errors="ignore") + "\n[cut at the size limit]"
    observables: dict[tuple[str, str], tuple[str, str, bool]] = {}
    for proposed, pairs in ((False, item.observables), (True, item.proposed)):
        for number, (type_, value) in enumerate(pairs, start=1):
            try:
                normalised = normalise(type_, value)
            except ValidationError as error:
                raise ValidationError(
                    {
                        f"observables[{number}].{name}": messages
                        for name, messages in error.message_dict.items()
                    }
                ) from error
            observables.setdefault(
                (type_, value_digest(normalised)),
                (normalize_short_text(value), normalised, proposed),
            )
    key = dedup_key(
        source=item.source,
        source_ref=item.source_ref,
        type=item.type,
        title=item.title,
        observables=[list(pair) for pair, (_, _, proposed) in observables.items() if not proposed],
    )
    return _Prepared(item, key, observables)


def _prepare(items: Sequence[AlertInput]) -> list[_Prepared]:
    """Validate every item; ValidationError naming each refused item and field."""
    if not items:
        raise ValidationError({"non_field_errors": ["Give at least one alert."]})
    if len(items) > MAX_ALERTS_PER_REQUEST:
        raise ValidationError(
            {"non_field_errors": [f"At most {MAX_ALERTS_PER_REQUEST} alerts at once."]}
        )
    errors: dict[str, list[str]] = {}
    prepared = []
    for number, item in enumerate(items, start=1):
        try:
            prepared.append(_prepare_one(item))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(f"Item {number}: {m}" for m in messages)
    if errors:
        raise ValidationError(errors)
    return prepared


def _lock_keys(keys: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    numbers = sorted({int(key[:8], 16) - 2**31 for key in keys})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM "
            "(SELECT k FROM unnest(%s::integer[]) AS k ORDER BY k) AS keys",
            [ADVISORY_LOCK_CLASS, numbers],
        )


def _suppressing_rule(rules: list[SuppressionRule], prepared: _Prepared):
    item = prepared.item
    # Only what the sender sent: a value a forwarded mail merely contains must not
    # silence the alert.
    values = {
        normalised for (_, normalised, proposed) in prepared.observables.values() if not proposed
    }
    for rule in rules:
        if rule.source and rule.source != item.source:
            continue
        if rule.type and rule.type != item.type:
            continue
        if rule.severity and rule.severity != item.severity:
            continue
        if rule.observable_value and rule.observable_value not in values:
            continue
        return rule
    return None


def _new_alert(prepared: _Prepared, sender, now, occurrences: int, rule) -> Alert:
    item = prepared.item
    alert = Alert(
        source=item.source,
        source_ref=item.source_ref,
        dedup_key=prepared.key,
        title=item.title,
        description=item.description,
        severity=item.severity,
        type=item.type,
        observed_at=item.observed_at,
        raw_payload=item.raw,
        count=occurrences,
        first_seen=now,
        last_seen=now,
        sender=sender,
        updated_at=now,
        notes=item.notes,
    )
    if rule is not None:
        alert.status = AlertStatus.IGNORED
        alert.suppressed_by = rule
        alert.ignore_reason = f"Suppressed by rule #{rule.pk}: {rule.reason}"
    return alert


@transaction.atomic
def alerts_receive(*, sender, items: Sequence[AlertInput], via: str = "api") -> list[Received]:
    """Record each item as a new alert or as one more occurrence of the alert it
    repeats. One answer per item, in order; a refused item refuses all."""
    require_permission(sender, "intake.add_alert")
    if not sender.is_active:
        raise PermissionDenied("This account is inactive.")
    prepared = _prepare(items)
    now = timezone.now()
    by_key: dict[str, _Prepared] = {}
    occurrences: dict[str, int] = {}
    for entry in prepared:
        if entry.key in by_key:
            # The same alert twice in one batch: one alert, its observables added up.
            for pair, value in entry.observables.items():
                by_key[entry.key].observables.setdefault(pair, value)
        else:
            by_key[entry.key] = entry
        occurrences[entry.key] = occurrences.get(entry.key, 0) + 1
    _lock_keys(list(by_key))
    existing = {
        alert.dedup_key: alert
        for alert in Alert.objects.select_for_update(no_key=True).filter(dedup_key__in=by_key)
    }
    rules = list(
        SuppressionRule.objects.filter(active=True, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .order_by("id")
    )
    hits: dict[int, int] = {}
    new_alerts: list[Alert] = []
    for key, entry in by_key.items():
        rule = _suppressing_rule(rules, entry) if rules else None
        if rule is not None:
            hits[rule.pk] = hits.get(rule.pk, 0) + occurrences[key]
        if key in existing:
            alert = existing[key]
            alert.count += occurrences[key]
            alert.last_seen = now
            alert.updated_at = now
        else:
            new_alerts.append(_new_alert(entry, sender, now, occurrences[key], rule))
    if existing:
        Alert.objects.bulk_update(list(existing.values()), ["count", "last_seen", "updated_at"])
    if new_alerts:
        Alert.objects.bulk_create(new_alerts)
        for alert in new_alerts:
            existing[alert.dedup_key] = alert
    _add_observables(by_key, existing)
    _add_attachments([(alert, by_key[alert.dedup_key].item) for alert in new_alerts])
    for rule_id, count in hits.items():
        SuppressionRule.objects.filter(pk=rule_id).update(hits=F("hits") + count)
    created_keys = {alert.dedup_key for alert in new_alerts}
    audit.record(
        "alerts.received",
        actor=sender,
        data={
            "via": via,
            "received": len(items),
            "created": len(new_alerts),
            "repeated": len(by_key) - len(new_alerts),
            "suppressed": sum(hits.values()),
            "ids": sorted(alert.pk for alert in existing.values())[:1000],
        },
    )
    forget_status_counts()
    notify_new_alerts([alert.pk for alert in new_alerts if alert.status == AlertStatus.NEW])
    answers = []
    for entry in prepared:
        # Within one batch, the first occurrence of a new alert is the one that made it.
        answers.append(Received(existing[entry.key], entry.key in created_keys))
        created_keys.discard(entry.key)
    return answers


def _add_attachments(pairs) -> None:
    rows = [
        AlertAttachment(
            alert=alert,
            name=attachment.name,
            content_type=attachment.content_type,
            size=len(attachment.content),
            receipt_sha256=attachment.receipt_sha256,
            content=attachment.content,
        )
        for alert, item in pairs
        for attachment in item.attachments
    ]
    if rows:
        AlertAttachment.objects.bulk_create(rows)


def _add_observables(by_key: dict[str, _Prepared], alerts: dict[str, Alert]) -> None:
    """The values each alert carries, new ones added (one INSERT … ON CONFLICT DO NOTHING)."""
    rows = [
        AlertObservable(
            alert=alerts[key],
            type=type_,
            value=value,
            normalized_value=normalised,
            value_digest=digest,
            proposed=proposed,
        )
        for key, entry in by_key.items()
        for (type_, digest), (value, normalised, proposed) in entry.observables.items()
    ]
    if rows:
        AlertObservable.objects.bulk_create(rows, ignore_conflicts=True)
