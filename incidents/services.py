"""Every write to incidents and what hangs off them. Each function checks that the
actor may do it, validates, saves in one transaction and records an audit event."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

import audit
from accounts.models import User
from accounts.roles import Role
from incidents.lifecycle import Status, check_transition
from incidents.models import (
    ALLOWED_CLOCK_SKEW,
    AffectedSystem,
    ContainmentChange,
    ContainmentState,
    CrewMember,
    CrewRole,
    EntryKind,
    Incident,
    ReferenceCounter,
    Task,
    TimelineEntry,
)
from incidents.selectors import crew_manageable_by
from notifications.services import notification_queue

# Fields of an incident that its editors may change directly (status has its own verb).
EDITABLE_FIELDS = (
    "title",
    "description",
    "severity",
    "occurred_at",
    "discovered_at",
    "aware_at",
    "discovery_method",
    "attack_vectors",
    "data_categories",
    "estimated_affected_people",
    "restricted",
)


def _require(actor, permission: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied(f"You lack the permission {permission!r}.")


def _next_reference(year: int) -> str:
    """Hand out the next number of the year atomically; safe under concurrent filing.

    One upsert statement: concurrent callers queue on the counter row, and the
    number rolls back with the filing if the transaction fails.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"INC-{year}-{number:04d}"


@transaction.atomic
def incident_file(*, reporter, title: str, severity: str, **fields) -> Incident:
    """File a new incident; it starts in `new` with an opening timeline entry."""
    _require(reporter, "incidents.add_incident")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_file() got unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("aware_at") is None:
        fields.pop("aware_at", None)
    incident = Incident(reporter=reporter, title=title, severity=severity, **fields)
    incident.full_clean(exclude=["reference", "reporter"])  # reporter: the caller
    incident.reference = _next_reference(incident.created_at.year)
    incident.save()
    TimelineEntry.objects.create(
        incident=incident,
        kind=EntryKind.STATUS_CHANGE,
        body=f"Incident filed with severity {incident.get_severity_display().lower()}.",
        occurred_at=incident.created_at,
        author=reporter,
    )
    audit.record(
        "incident.filed",
        actor=reporter,
        target=incident,
        data={"reference": incident.reference, "severity": severity},
    )
    _notify_leads_of_filing(incident)
    return incident


def _notify_leads_of_filing(incident: Incident) -> None:
    leads = User.objects.filter(groups__name=Role.LEAD, is_active=True).exclude(
        pk=incident.reporter_id
    )
    notification_queue(
        recipients=leads,
        subject=f"[Cordon] {incident.reference} filed ({incident.get_severity_display()})",
        body=(
            f"{incident.reporter.get_username()} filed {incident.reference}: {incident.title}\n"
            f"Severity: {incident.get_severity_display()}\n"
            f"Aware at: {incident.aware_at:%Y-%m-%d %H:%M} UTC\n"
            f"Open it in Cordon: /incidents/{incident.pk}/\n"
        ),
    )


@transaction.atomic
def incident_update(*, incident: Incident, actor, **fields) -> Incident:
    """Change an incident's facts (not its status)."""
    _require(actor, "incidents.change_incident")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_update() got unexpected fields: {', '.join(sorted(unknown))}")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    changed = {name: value for name, value in fields.items() if getattr(incident, name) != value}
    if not changed:
        return incident
    if "restricted" in changed and not crew_manageable_by(user=actor, incident=incident):
        # Who may see an incident is decided by those who decide its crew.
        raise PermissionDenied("Only leads and the incident commander change need-to-know.")
    for name, value in changed.items():
        setattr(incident, name, value)
    incident.full_clean()
    incident.save()
    audit.record("incident.updated", actor=actor, target=incident, data={"fields": sorted(changed)})
    return incident


@transaction.atomic
def incident_change_status(*, incident: Incident, actor, status: str, reason: str = "") -> Incident:
    """Move an incident along its lifecycle (incidents.lifecycle); writes a timeline entry.

    Raises IllegalTransition or ReasonRequired without writing anything.
    """
    _require(actor, "incidents.change_incident")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    previous = incident.status
    check_transition(previous, status, reason)
    now = timezone.now()
    incident.status = status
    if status == Status.ERADICATION and previous == Status.CONTAINMENT:
        incident.contained_at = now
    elif status == Status.CONTAINMENT and previous == Status.ERADICATION:
        incident.contained_at = None
    if status == Status.CLOSED:
        incident.resolved_at = now
    elif previous == Status.CLOSED:
        incident.resolved_at = None
    incident.save()
    body = f"Status changed from {Status(previous).label} to {Status(status).label}."
    if reason.strip():
        body += f" Reason: {reason.strip()}"
    TimelineEntry.objects.create(
        incident=incident, kind=EntryKind.STATUS_CHANGE, body=body, occurred_at=now, author=actor
    )
    audit.record(
        "incident.status_changed",
        actor=actor,
        target=incident,
        data={"from": previous, "to": status, "reason": reason.strip()},
    )
    return incident


@transaction.atomic
def timeline_entry_add(
    *, incident: Incident, actor, body: str, kind: str = EntryKind.NOTE, occurred_at=None
) -> TimelineEntry:
    _require(actor, "incidents.add_timelineentry")
    if kind == EntryKind.STATUS_CHANGE:
        raise ValidationError({"kind": ["Status changes are recorded by changing the status."]})
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        author=actor,
    )
    entry.full_clean()
    if entry.occurred_at > timezone.now() + ALLOWED_CLOCK_SKEW:
        raise ValidationError({"occurred_at": ["This time is in the future."]})
    entry.save()
    audit.record("incident.timeline_added", actor=actor, target=incident, data={"kind": kind})
    return entry


@transaction.atomic
def system_add(*, incident: Incident, actor, name: str, **fields) -> AffectedSystem:
    _require(actor, "incidents.change_incident")
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
    _require(actor, "incidents.change_incident")
    allowed = {"name", "kind", "owner", "impact_start", "impact_end"}
    if set(fields) - allowed:
        raise TypeError(f"system_update() takes only {', '.join(sorted(allowed))}")
    for name, value in fields.items():
        setattr(system, name, value)
    system.full_clean()
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
    _require(actor, "incidents.change_incident")
    if state not in ContainmentState.values:
        raise ValidationError({"state": [f"Choose one of {', '.join(ContainmentState.values)}."]})
    system = AffectedSystem.objects.select_for_update().get(pk=system.pk)
    if system.containment_state == state:
        return system
    ContainmentChange.objects.create(
        system=system,
        from_state=system.containment_state,
        to_state=state,
        note=note,
        changed_by=actor,
    )
    previous, system.containment_state = system.containment_state, state
    system.save(update_fields=["containment_state"])
    audit.record(
        "incident.containment_changed",
        actor=actor,
        target=system.incident,
        data={"system": system.name, "from": previous, "to": state, "note": note},
    )
    return system


@transaction.atomic
def task_add(*, incident: Incident, actor, title: str, assignee=None, due_date=None) -> Task:
    _require(actor, "incidents.change_incident")
    task = Task(
        incident=incident, title=title, assignee=assignee, due_date=due_date, created_by=actor
    )
    task.full_clean()
    task.save()
    audit.record("incident.task_added", actor=actor, target=incident, data={"task": title})
    return task


@transaction.atomic
def task_set_done(*, task: Task, actor, done: bool) -> Task:
    if actor != task.assignee:
        _require(actor, "incidents.change_incident")
    if task.done == done:
        return task
    task.done = done
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["done", "done_at"])
    audit.record(
        "incident.task_done" if done else "incident.task_reopened",
        actor=actor,
        target=task.incident,
        data={"task": task.title},
    )
    return task


@transaction.atomic
def crew_add(*, incident: Incident, actor, user, role: str = CrewRole.RESPONDER) -> CrewMember:
    """Put someone on the crew (for a restricted incident, this is what grants them sight)."""
    if not crew_manageable_by(user=actor, incident=incident):
        raise PermissionDenied("Only leads and the incident commander manage the crew.")
    if not user.is_active:
        raise ValidationError({"user": ["This person is deactivated."]})
    if not user.has_perm("incidents.view_incident"):
        raise ValidationError({"user": ["Only CSIRT members can be on a crew."]})
    if incident.crew.filter(user=user).exists():
        raise ValidationError({"user": ["This person is already on the crew."]})
    member = CrewMember(incident=incident, user=user, role=role, added_by=actor)
    member.full_clean()
    member.save()
    audit.record(
        "incident.crew_added",
        actor=actor,
        target=incident,
        data={"user": user.get_username(), "role": role},
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
