"""Every write to observables. Each function checks the permission and, itself, that
the actor may see the incident (need-to-know), validates, writes in one transaction
and records an audit event.

Adding many at once (`observables_add`) costs the same number of statements for one
observable as for a thousand: one read of those already on the incident, then one
INSERT … ON CONFLICT DO UPDATE for all of them (PostgreSQL; SQLite batches it under
its limit of parameters per statement). The generic capture records that bulk write
(audit.capture, `model.bulk_created` with every row); `observables.added` says what
the request did, with its counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.dates import validate_event_time
from core.db import unique_or
from core.marking import PAP, PAP_ORDER, TLP, TLP_ORDER, stricter
from core.permissions import require_permission
from core.text import clean_multiline_text, normalize_short_text
from evidence.selectors import incident_evidence
from incidents.models import Incident
from incidents.selectors import may_receive_red, may_see
from incidents.services import normalize_tags
from observables import attack
from observables.models import IncidentTechnique, Observable, Source, validate_tags
from observables.values import normalise, value_digest

MAX_ITEMS_PER_REQUEST = 1000
# What adding a value the incident already holds may change (never its value, type,
# source, author or creation time).
UPDATED_ON_ADD = (
    "tlp",
    "pap",
    "is_ioc",
    "sighted",
    "sighted_at",
    "ignore_for_correlation",
    "tags",
    "description",
    "first_seen",
    "last_seen",
    "evidence",
    "updated_at",
)
EDITABLE_FIELDS = frozenset(
    {
        "type",
        "value",
        "tlp",
        "pap",
        "is_ioc",
        "sighted",
        "sighted_at",
        "ignore_for_correlation",
        "tags",
        "description",
        "first_seen",
        "last_seen",
        "evidence",
    }
)
TIMES = ("sighted_at", "first_seen", "last_seen")
# Django's `Choices.values` builds its list anew on every call (an enum walk): once
# here, not twice per row of a thousand.
TLP_VALUES = frozenset(TLP.values)
PAP_VALUES = frozenset(PAP.values)
# Full clean without the queries: the incident, the author and the evidence item are
# checked by the service (in one query for all), uniqueness by the database.
NOT_CLEANED = ["incident", "created_by", "evidence"]


@dataclass(frozen=True)
class ObservableInput:
    """One observable to add. None means "not given": a new observable takes the
    incident's TLP and PAP and no flags; an existing one keeps what it has."""

    type: str
    value: str
    tlp: str | None = None
    pap: str | None = None
    is_ioc: bool | None = None
    sighted: bool | None = None
    ignore_for_correlation: bool | None = None
    tags: list[str] | None = None
    description: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence_id: int | None = None


@dataclass
class Added:
    """What adding one value did: `created`, or it was there already (`updated` when
    this request changed it)."""

    observable: Observable
    created: bool
    updated: bool = False
    key: tuple[str, str] = field(default=("", ""), repr=False)


def _require(actor, permission: str, incident: Incident) -> None:
    require_permission(actor, permission)
    if not may_see(actor, incident):
        raise PermissionDenied("This incident is not in your sight.")


def _tags(values) -> list[str]:
    """The incidents' tag vocabulary: a managed tag keeps the list's spelling."""
    return normalize_tags([normalize_short_text(tag) for tag in values or [] if tag.strip()])


def _merge_inputs(first: ObservableInput, then: ObservableInput) -> ObservableInput:
    """The same value twice in one request: what the later one gives wins, tags add up."""
    given = {name: value for name, value in vars(then).items() if value is not None}
    given["tags"] = _tags([*(first.tags or []), *(then.tags or [])]) if then.tags else first.tags
    given.pop("value", None)  # the first spelling is the one kept
    return replace(first, **given)


def _prepare(items: Sequence[ObservableInput]) -> tuple[dict[tuple[str, str], tuple], list]:
    """Validate and normalise every item (each distinct value once, with the keys of
    the items in order); ValidationError naming each refused one."""
    if not items:
        raise ValidationError({"non_field_errors": ["Give at least one observable."]})
    if len(items) > MAX_ITEMS_PER_REQUEST:
        raise ValidationError(
            {"non_field_errors": [f"At most {MAX_ITEMS_PER_REQUEST} observables at once."]}
        )
    errors: dict[str, list[str]] = {}
    prepared: dict[tuple[str, str], tuple] = {}
    order: list[tuple[str, str]] = []
    for number, item in enumerate(items, start=1):
        try:
            normalised = normalise(item.type, item.value)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(f"Item {number}: {m}" for m in messages)
            continue
        key = (item.type, value_digest(normalised))
        order.append(key)
        if key in prepared:
            earlier, _ = prepared[key]
            prepared[key] = (_merge_inputs(earlier, item), normalised)
        else:
            prepared[key] = (item, normalised)
    if errors:
        raise ValidationError(errors)
    return prepared, order


def _check_evidence(actor, incident: Incident, items) -> None:
    wanted = {item.evidence_id for item, _ in items if item.evidence_id is not None}
    if not wanted:
        return
    found = set(
        incident_evidence(user=actor, incident=incident)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    if wanted - found:
        missing = ", ".join(f"#{pk}" for pk in sorted(wanted - found))
        raise ValidationError({"evidence": [f"No evidence item {missing} on this incident."]})


def _new(incident, actor, item: ObservableInput, normalised: str, source: str, now):
    return Observable(
        incident=incident,
        type=item.type,
        value=normalize_short_text(item.value),
        normalized_value=normalised,
        value_digest=value_digest(normalised),
        tlp=item.tlp or incident.tlp,
        pap=item.pap or incident.pap,
        is_ioc=bool(item.is_ioc),
        sighted=bool(item.sighted),
        sighted_at=now if item.sighted else None,
        ignore_for_correlation=bool(item.ignore_for_correlation),
        tags=_tags(item.tags),
        description=clean_multiline_text(item.description, field="description"),
        source=source,
        first_seen=item.first_seen or now,
        last_seen=item.last_seen or now,
        evidence_id=item.evidence_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


def _updated(current: Observable, item: ObservableInput, now) -> Observable:
    """A copy of `current` (without its id, for the upsert) with what `item` gives."""
    row = Observable(
        **{
            f.attname: getattr(current, f.attname)
            for f in Observable._meta.concrete_fields
            if not f.primary_key
        }
    )
    for name in ("is_ioc", "ignore_for_correlation", "first_seen"):
        value = getattr(item, name)
        if value is not None:
            setattr(row, name, value)
    # Adding (or importing) a value again only ever tightens its markings: a partner's
    # TLP:GREEN must not lower what the incident holds as RED (an edit may, for those
    # who may receive RED: observable_update).
    row.tlp = stricter(TLP_ORDER, current.tlp, item.tlp) or current.tlp
    row.pap = stricter(PAP_ORDER, current.pap, item.pap) or current.pap
    if item.sighted is not None:
        row.sighted = item.sighted
        row.sighted_at = (row.sighted_at or now) if item.sighted else None
    if item.tags:
        row.tags = _tags([*current.tags, *item.tags])
    if item.description:
        row.description = clean_multiline_text(item.description, field="description")
    if item.evidence_id is not None:
        row.evidence_id = item.evidence_id
    row.last_seen = item.last_seen or now  # seen again now
    row.updated_at = now
    return row


def _check_row(row: Observable) -> None:
    """What full_clean would check of a row whose value is already normalised, at a
    thousandth of the cost: markings, tags, times and their order."""
    errors: dict[str, list[str]] = {}
    if row.tlp not in TLP_VALUES:
        errors["tlp"] = [f"Choose a TLP from {', '.join(TLP.values)}."]
    if row.pap not in PAP_VALUES:
        errors["pap"] = [f"Choose a PAP from {', '.join(PAP.values)}."]
    checks = [("tags", validate_tags, row.tags)]
    checks += [(name, validate_event_time, getattr(row, name)) for name in TIMES]
    for name, check, value in checks:
        if value is None:
            continue
        try:
            check(value)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    try:
        row.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def may_update_on_add(actor, observable: Observable) -> bool:
    """Adding a value already there updates it for those who edit observables, and for
    its own author; for anyone else (a reporter) it stays as it is."""
    return actor.has_perm("observables.change_observable") or observable.created_by_id == actor.pk


@transaction.atomic
def observables_add(
    *,
    incident: Incident,
    actor,
    items: Sequence[ObservableInput],
    source: str = Source.API,
) -> list[Added]:
    """Add observables to `incident`, or update those it already holds (same type and
    normalised value). One answer per item, in order; a refused item refuses all."""
    _require(actor, "observables.add_observable", incident)
    prepared, order = _prepare(items)
    _check_evidence(actor, incident, prepared.values())
    now = timezone.now()
    existing = {
        (row.type, row.value_digest): row
        for row in Observable.objects.select_for_update(no_key=True, of=("self",)).filter(
            incident=incident, value_digest__in=[digest for _, digest in prepared]
        )
    }
    rows, outcome = [], {}
    for key, (item, normalised) in prepared.items():
        current = existing.get(key)
        if current is None:
            row = _new(incident, actor, item, normalised, source, now)
        elif may_update_on_add(actor, current):
            row = _updated(current, item, now)
        else:
            outcome[key] = Added(current, created=False, key=key)
            continue
        _check_row(row)
        rows.append(row)
        outcome[key] = Added(row, created=current is None, updated=current is not None, key=key)
    if rows:
        # Concurrent adds of the same new value both insert; the later one updates the
        # row the earlier one made (and also answers created). Nothing is duplicated.
        Observable.objects.bulk_upsert(
            rows,
            unique_fields=["incident", "type", "value_digest"],
            update_fields=list(UPDATED_ON_ADD),
        )
    counts = {
        "created": sum(added.created for added in outcome.values()),
        "updated": sum(added.updated for added in outcome.values()),
    }
    counts["unchanged"] = len(outcome) - counts["created"] - counts["updated"]
    audit.record(
        "observables.added",
        actor=actor,
        target=incident,
        data={
            "incident": incident.reference,
            "source": source,
            "received": len(items),
            **counts,
            "ids": sorted(added.observable.pk for added in outcome.values())[:1000],
        },
    )
    return [outcome[key] for key in order]


def _lock(observable: Observable) -> Observable:
    return (
        Observable.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident")
        .get(pk=observable.pk)
    )


@transaction.atomic
def observable_update(*, observable: Observable, actor, **fields) -> Observable:
    """Change an observable: its markings, flags, tags, description, times, evidence
    item, or (a typo) its type and value, which must stay unique on the incident."""
    _require(actor, "observables.change_observable", observable.incident)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"observable_update() got unexpected fields: {', '.join(sorted(unknown))}")
    observable = _lock(observable)
    if (
        observable.tlp == TLP.RED
        and fields.get("tlp", TLP.RED) != TLP.RED
        and not may_receive_red(actor, observable.incident)
    ):
        raise PermissionDenied("Only the incident's crew and leads may lower a TLP:RED marking.")
    if "type" in fields or "value" in fields:
        type_ = fields.get("type", observable.type)
        value = fields.get("value", observable.value)
        normalised = normalise(type_, value)
        fields.update(
            type=type_,
            value=normalize_short_text(value),
            normalized_value=normalised,
            value_digest=value_digest(normalised),
        )
    if "tags" in fields:
        fields["tags"] = _tags(fields["tags"])
    if "description" in fields:
        fields["description"] = clean_multiline_text(fields["description"], field="description")
    if "sighted" in fields:
        if not fields["sighted"]:
            fields["sighted_at"] = None
        elif not (fields.get("sighted_at") or observable.sighted_at):
            fields["sighted_at"] = timezone.now()
    evidence = fields.get("evidence")
    if evidence is not None:
        _check_evidence(
            actor, observable.incident, [(ObservableInput("", "", evidence_id=evidence.pk), "")]
        )
    changed = {name: value for name, value in fields.items() if getattr(observable, name) != value}
    if not changed:
        return observable
    for name, value in changed.items():
        setattr(observable, name, value)
    observable.updated_at = timezone.now()
    observable.full_clean(exclude=NOT_CLEANED, validate_unique=False, validate_constraints=False)
    already = {"value": [f"{observable.incident.reference} already holds this value."]}
    with unique_or(already):
        observable.save()
    audit.record(
        "observable.updated",
        actor=actor,
        target=observable,
        data={"incident": observable.incident.reference, "fields": sorted(changed)},
    )
    return observable


@transaction.atomic
def observable_delete(*, observable: Observable, actor, reason: str) -> None:
    """Remove an observable from its incident; the reason is kept in the audit log."""
    _require(actor, "observables.delete_observable", observable.incident)
    reason = clean_multiline_text(reason, field="reason", required=True, max_length=2000)
    observable = _lock(observable)
    audit.record(
        "observable.deleted",
        actor=actor,
        target=observable,
        data={
            "incident": observable.incident.reference,
            "type": observable.type,
            "value": observable.normalized_value,
            "reason": reason.strip(),
        },
    )
    observable.delete()


# --- ATT&CK techniques ----------------------------------------------------------------


@transaction.atomic
def technique_add(*, incident: Incident, actor, technique_id: str) -> IncidentTechnique:
    """Record that `incident` shows an ATT&CK technique of the offline catalogue
    (observables.attack); adding one it already shows changes nothing."""
    _require(actor, "observables.add_incidenttechnique", incident)
    technique = attack.technique_get(str(technique_id or ""))
    if technique is None:
        raise ValidationError(
            {"technique_id": [f"“{technique_id}” is not an ATT&CK technique id (T1566.001)."]}
        )
    existing = IncidentTechnique.objects.filter(incident=incident, technique_id=technique.id)
    if existing.exists():
        return existing.get()
    row = IncidentTechnique(
        incident=incident, technique_id=technique.id, name=technique.name, added_by=actor
    )
    with unique_or({"technique_id": [f"{incident.reference} already shows {technique.id}."]}):
        row.save()
    audit.record(
        "incident.technique_added",
        actor=actor,
        target=incident,
        data={"incident": incident.reference, "technique": technique.id},
    )
    return row


@transaction.atomic
def technique_remove(*, technique: IncidentTechnique, actor) -> None:
    _require(actor, "observables.delete_incidenttechnique", technique.incident)
    audit.record(
        "incident.technique_removed",
        actor=actor,
        target=technique.incident,
        data={"incident": technique.incident.reference, "technique": technique.technique_id},
    )
    technique.delete()
