"""The work on an incident: timeline entries, affected systems, the crew (tasks:
incidents.services.tasks)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.db import unique_or
from core.validation import untouched_ruled_fields
from incidents.models import (
    AUTOMATIC_ENTRY_KINDS,
    AffectedSystem,
    ContainmentChange,
    ContainmentState,
    CrewMember,
    CrewRole,
    EntryKind,
    Incident,
    TimelineEntry,
)
from incidents.selectors import (
    crew_manageable_by,
)
from incidents.services.common import _notify, _require, _require_open


@transaction.atomic
def timeline_entry_add(
    *, incident: Incident, actor, body: str, kind: str = EntryKind.NOTE, occurred_at=None
) -> TimelineEntry:
    _require(actor, "incidents.add_timelineentry", incident=incident)
    _require_open(incident)
    if kind in AUTOMATIC_ENTRY_KINDS:
        raise ValidationError(
            {"kind": ["Status and facts changes are recorded by changing the incident."]}
        )
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        author=actor,
    )
    entry.full_clean()  # the time's range too (core.dates.validate_event_time)
    entry.save()
    audit.record("incident.timeline_added", actor=actor, target=incident, data={"kind": kind})
    return entry


@transaction.atomic
def system_add(*, incident: Incident, actor, name: str, **fields) -> AffectedSystem:
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    system = AffectedSystem(incident=incident, name=name, **fields)
    system.full_clean()
    system.save()
    audit.record(
        "incident.system_added", actor=actor, target=incident, data={"system": system.name}
    )
    return system


@transaction.atomic
def system_update(*, system: AffectedSystem, actor, **fields) -> AffectedSystem:
    """Change a system's facts, such as the end of its impact window."""
    _require(actor, "incidents.change_incident", incident=system.incident)
    _require_open(system.incident)
    allowed = {"name", "kind", "owner", "impact_start", "impact_end"}
    if set(fields) - allowed:
        raise TypeError(f"system_update() takes only {', '.join(sorted(allowed))}")
    changed = {name for name, value in fields.items() if getattr(system, name) != value}
    for name, value in fields.items():
        setattr(system, name, value)
    system.full_clean(exclude=untouched_ruled_fields(system, changed))
    system.save()
    audit.record(
        "incident.system_updated",
        actor=actor,
        target=system.incident,
        data={"system": system.name, "fields": sorted(fields)},
    )
    return system


@transaction.atomic
def system_change_containment(
    *, system: AffectedSystem, actor, state: str, note: str = ""
) -> AffectedSystem:
    _require(actor, "incidents.change_incident", incident=system.incident)
    _require_open(system.incident)
    if state not in ContainmentState.values:
        raise ValidationError({"state": [f"Choose one of {', '.join(ContainmentState.values)}."]})
    system = AffectedSystem.objects.select_for_update(no_key=True, of=("self",)).get(pk=system.pk)
    if system.containment_state == state:
        return system
    change = ContainmentChange(
        system=system,
        from_state=system.containment_state,
        to_state=state,
        note=(note or "").strip(),
        changed_by=actor,
    )
    change.full_clean()
    change.save()
    previous, system.containment_state = system.containment_state, state
    system.save(update_fields=["containment_state"])
    audit.record(
        "incident.containment_changed",
        actor=actor,
        target=system.incident,
        data={"system": system.name, "from": previous, "to": state, "note": change.note},
    )
    return system


@transaction.atomic
def crew_add(*, incident: Incident, actor, user, role: str = CrewRole.RESPONDER) -> CrewMember:
    """Put someone on the crew (for a restricted incident, this is what grants them sight)."""
    if not crew_manageable_by(user=actor, incident=incident):
        raise PermissionDenied("Only leads and the incident commander manage the crew.")
    if not user.is_active:
        raise ValidationError({"user": ["This person is deactivated."]})
    if not user.has_perm("incidents.view_incident"):
        raise ValidationError({"user": ["Only CSIRT members can be on a crew."]})
    already_on_crew = {"user": ["This person is already on the crew."]}
    if incident.crew.filter(user=user).exists():
        raise ValidationError(already_on_crew)
    member = CrewMember(incident=incident, user=user, role=role, added_by=actor)
    member.full_clean()
    with unique_or(already_on_crew):  # the same person added twice at the same moment
        member.save()
    audit.record(
        "incident.crew_added",
        actor=actor,
        target=incident,
        data={"user": user.get_username(), "role": role},
    )
    if user.pk != actor.pk:
        _notify(
            recipients=[user],
            incident=incident,
            event="incident.crew_added",
            message="incident_crew_added",
            actor=actor.get_username(),
            role=member.get_role_display(),
        )
    return member


@transaction.atomic
def crew_remove(*, member: CrewMember, actor) -> None:
    incident = member.incident
    if not crew_manageable_by(user=actor, incident=incident):
        raise PermissionDenied("Only leads and the incident commander manage the crew.")
    username = member.user.get_username()
    member.delete()
    audit.record("incident.crew_removed", actor=actor, target=incident, data={"user": username})
