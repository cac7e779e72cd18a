"""Suppression rules: leads mark known noise; matching alerts are still recorded (as
`ignored` by the rule) and counted on the rule, never dropped."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.permissions import require_permission
from core.text import clean_short_text
from intake.models import REASON_MAX_LENGTH, SOURCE_MAX_LENGTH, SuppressionRule
from observables.values import guess_type, normalise

__all__ = ["suppression_rule_add", "suppression_rule_end"]


def _observable_value(value: str) -> str:
    """The value as alerts hold it (normalised for the type it looks like)."""
    value = clean_short_text(value, field="observable_value", required=False, max_length=512)
    if not value:
        return ""
    type_ = guess_type(value)
    if type_ is None:
        return value
    try:
        return normalise(type_, value, field="observable_value")
    except ValidationError:
        return value


@transaction.atomic
def suppression_rule_add(
    *,
    actor,
    reason: str,
    source: str = "",
    type: str = "",
    severity: str = "",
    observable_value: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> SuppressionRule:
    """A new rule; from `starts_at` (now) to `ends_at` (open-ended when None)."""
    require_permission(actor, "intake.add_suppressionrule")
    rule = SuppressionRule(
        source=clean_short_text(
            source, field="source", required=False, max_length=SOURCE_MAX_LENGTH
        ),
        type=clean_short_text(type, field="type", required=False, max_length=64),
        severity=severity,
        observable_value=_observable_value(observable_value),
        starts_at=starts_at or timezone.now(),
        ends_at=ends_at,
        reason=clean_short_text(reason, field="reason", max_length=REASON_MAX_LENGTH),
        created_by=actor,
    )
    if not (rule.source or rule.type or rule.severity or rule.observable_value):
        raise ValidationError(
            {"non_field_errors": ["Match on at least one of source, type, severity, value."]}
        )
    if rule.ends_at is not None and rule.ends_at <= rule.starts_at:
        raise ValidationError({"ends_at": ["The end must come after the start."]})
    rule.full_clean(exclude=["created_by"])
    rule.save()
    audit.record(
        "intake.suppression_added",
        actor=actor,
        target=rule,
        data={
            "source": rule.source,
            "type": rule.type,
            "severity": rule.severity,
            "observable_value": rule.observable_value,
            "reason": rule.reason,
        },
    )
    return rule


@transaction.atomic
def suppression_rule_end(*, rule: SuppressionRule, actor) -> SuppressionRule:
    """Stop a rule now (the alerts it suppressed stay as they were)."""
    require_permission(actor, "intake.change_suppressionrule")
    rule = SuppressionRule.objects.select_for_update().get(pk=rule.pk)
    if rule.active:
        rule.active = False
        now = timezone.now()
        rule.ends_at = rule.ends_at if rule.ends_at and rule.ends_at < now else now
        rule.save(update_fields=["active", "ends_at"])
        audit.record("intake.suppression_ended", actor=actor, target=rule, data={"hits": rule.hits})
    return rule
