"""Incident types (with their playbooks, custom fields, review sections), the managed
tags, and what a type does to an incident: its playbook's tasks, its fields, its tags."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from incidents.custom_fields import clean_custom_fields
from incidents.models import Incident, IncidentType, Tag, Task
from incidents.models.types import DOCUMENT_FIELDS
from incidents.services.common import _require, _require_open
from incidents.typeschema import validate_export_document, validate_type_document


def _apply_document(incident_type: IncidentType, document: dict) -> list[str]:
    changed = []
    defaults = {"description": "", "default_severity": "", "default_tlp": "", "retired": False}
    for name in DOCUMENT_FIELDS:
        if name == "key":
            continue
        value = document.get(name, defaults.get(name, []))
        if getattr(incident_type, name) != value:
            setattr(incident_type, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def incident_type_save(*, actor, document: dict, incident_type: IncidentType | None = None):
    """Create a type from its document, or replace an existing type's document (its key
    stays). Errors name the path in the document."""
    validate_type_document(document)
    if incident_type is None:
        _require(actor, "incidents.add_incidenttype")
        if IncidentType.objects.filter(key=document["key"]).exists():
            raise ValidationError({"key": [f"A type with the key “{document['key']}” exists."]})
        incident_type = IncidentType(key=document["key"])
        changed = _apply_document(incident_type, document)
        action = "incident_type.created"
    else:
        _require(actor, "incidents.change_incidenttype")
        incident_type = IncidentType.objects.select_for_update(no_key=True, of=("self",)).get(
            pk=incident_type.pk
        )
        if document["key"] != incident_type.key:
            raise ValidationError({"key": ["A type keeps its key; create a new type instead."]})
        changed = _apply_document(incident_type, document)
        action = "incident_type.updated"
        if not changed:
            return incident_type
    incident_type.full_clean()
    incident_type.save()
    audit.record(
        action,
        actor=actor,
        target=incident_type,
        data={"key": incident_type.key, "fields": changed},
    )
    return incident_type


@transaction.atomic
def incident_type_set_retired(*, actor, incident_type: IncidentType, retired: bool):
    """A retired type is offered for no new incident; those filed with it keep it."""
    _require(actor, "incidents.change_incidenttype")
    if incident_type.retired == retired:
        return incident_type
    incident_type.retired = retired
    incident_type.save(update_fields=["retired", "updated_at"])
    audit.record(
        "incident_type.retired" if retired else "incident_type.restored",
        actor=actor,
        target=incident_type,
        data={"key": incident_type.key},
    )
    return incident_type


@transaction.atomic
def incident_types_import(*, actor, document) -> dict[str, list[str]]:
    """Create or replace types from an export file (incidents.typeschema.EXPORT_SCHEMA).
    The whole file is checked first; one bad type refuses the file and writes nothing."""
    _require(actor, "incidents.add_incidenttype")
    _require(actor, "incidents.change_incidenttype")
    types = validate_export_document(document)
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for item in types:
        existing = IncidentType.objects.filter(key=item["key"]).first()
        before = existing.to_document() if existing else None
        saved = incident_type_save(actor=actor, document=item, incident_type=existing)
        if existing is None:
            outcome["created"].append(saved.key)
        elif saved.to_document() != before:
            outcome["updated"].append(saved.key)
        else:
            outcome["unchanged"].append(saved.key)
    audit.record("incident_type.imported", actor=actor, target=None, data=outcome)
    return outcome


# --- Tags ---------------------------------------------------------------------------


def normalize_tags(tags) -> list[str]:
    """Tags as given, stripped and without repeats; managed tags keep the list's
    spelling (case-insensitively matched), so the vocabulary stays one."""
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError({"tags": ["Give the tags as a list of text."]})
    if not any(tag.strip() for tag in tags):
        return []
    managed = {name.lower(): name for name in Tag.objects.values_list("name", flat=True)}
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(tag.split())
        if tag:
            tag = managed.get(tag.lower(), tag)
            if tag not in cleaned:
                cleaned.append(tag)
    return cleaned


@transaction.atomic
def tag_save(*, actor, name: str, colour: str, description: str = "", tag: Tag | None = None):
    """Add a tag to the managed list, or change one (its colour, its description)."""
    _require(actor, "incidents.change_tag" if tag else "incidents.add_tag")
    if tag is None:
        tag = Tag(name=" ".join(name.split()))
        if Tag.objects.filter(name__iexact=tag.name).exists():
            raise ValidationError({"name": ["This tag is on the list already."]})
    tag.colour, tag.description = colour.lower(), description
    tag.full_clean()
    tag.save()
    audit.record(
        "tag.saved", actor=actor, target=tag, data={"name": tag.name, "colour": tag.colour}
    )
    return tag


@transaction.atomic
def tag_delete(*, actor, tag: Tag) -> None:
    """Off the managed list; incidents keep the tag as a free tag."""
    _require(actor, "incidents.delete_tag")
    name = tag.name
    tag.delete()
    audit.record("tag.deleted", actor=actor, target=None, data={"name": name})


@transaction.atomic
def incident_set_tags(*, incident: Incident, actor, tags: list[str]) -> Incident:
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    tags = normalize_tags(tags)
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    if incident.tags == tags:
        return incident
    previous, incident.tags = incident.tags, tags
    incident.full_clean(exclude=[f.name for f in Incident._meta.fields if f.name != "tags"])
    incident.save(update_fields=["tags", "updated_at"])
    audit.record(
        "incident.tags_changed", actor=actor, target=incident, data={"from": previous, "to": tags}
    )
    return incident


# --- What a type does to an incident ---------------------------------------------------


def playbook_tasks(incident: Incident, entries: list[dict], *, actor) -> list[Task]:
    """Create the playbook `entries` as tasks of `incident`, due `due_hours` after its
    aware_at, each assigned to the crew member holding its default role if there is
    one (at filing there is no crew yet: the role is kept on the task). Inside the
    caller's transaction."""
    by_role: dict = {}
    for member in incident.crew.select_related("user").order_by("added_at", "id"):
        by_role.setdefault(member.role, member.user)
    tasks = []
    for entry in entries:
        due_at = None
        if entry.get("due_hours") is not None:
            due_at = incident.aware_at + dt.timedelta(hours=entry["due_hours"])
        task = Task(
            incident=incident,
            title=entry["title"],
            description=entry.get("description", ""),
            phase=entry["phase"],
            playbook_key=entry["key"],
            assignee_role=entry.get("assignee_role", ""),
            assignee=by_role.get(entry.get("assignee_role", "")),
            due_at=due_at,
            due_date=due_at.astimezone(dt.UTC).date() if due_at else None,
            created_by=actor,
        )
        task.full_clean(exclude=["due_date"])  # a playbook may set a due date now past
        task.save()
        tasks.append(task)
    return tasks


def missing_playbook_entries(incident: Incident) -> list[dict]:
    """The playbook entries of the incident's type that it has no task for yet."""
    if incident.incident_type is None:
        return []
    present = set(incident.tasks.exclude(playbook_key="").values_list("playbook_key", flat=True))
    return [entry for entry in incident.incident_type.playbook if entry["key"] not in present]


@transaction.atomic
def incident_change_type(*, incident: Incident, actor, incident_type: IncidentType | None):
    """Give the incident another type. Its playbook's tasks are offered afterwards
    (missing_playbook_entries, playbook_tasks_add), never created here; custom field
    values the new type does not define are kept and shown under their key."""
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    if incident_type is not None and incident_type.retired:
        raise ValidationError({"type": ["This type is retired."]})
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    if incident.incident_type_id == (incident_type.pk if incident_type else None):
        return incident
    previous = incident.incident_type.key if incident.incident_type else None
    incident.incident_type = incident_type
    incident.save(update_fields=["incident_type", "updated_at"])
    audit.record(
        "incident.type_changed",
        actor=actor,
        target=incident,
        data={"from": previous, "to": incident_type.key if incident_type else None},
    )
    return incident


@transaction.atomic
def playbook_tasks_add(*, incident: Incident, actor, keys: list[str]) -> list[Task]:
    """Create the chosen missing playbook tasks of the incident's type."""
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    missing = {entry["key"]: entry for entry in missing_playbook_entries(incident)}
    unknown = [key for key in keys if key not in missing]
    if unknown:
        raise ValidationError({"keys": [f"Not a missing playbook task: {', '.join(unknown)}."]})
    tasks = playbook_tasks(incident, [missing[key] for key in keys], actor=actor)
    if tasks:
        audit.record(
            "incident.playbook_tasks_added", actor=actor, target=incident, data={"keys": keys}
        )
    return tasks


@transaction.atomic
def incident_set_custom_fields(*, incident: Incident, actor, values: dict) -> Incident:
    """Set the values of the type's custom fields (a blank value clears one)."""
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    definitions = incident.incident_type.custom_fields if incident.incident_type else []
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Give an object keyed by field key."]})
    known = {definition["key"] for definition in definitions}
    kept = {key: value for key, value in incident.custom_fields.items() if key not in known}
    cleaned = clean_custom_fields(definitions, values)
    merged = {**kept, **cleaned}
    if merged == incident.custom_fields:
        return incident
    changed = sorted(
        key
        for key in set(merged) | set(incident.custom_fields)
        if merged.get(key) != incident.custom_fields.get(key)
    )
    audit_data = {
        key: {"from": incident.custom_fields.get(key), "to": merged.get(key)} for key in changed
    }
    incident.custom_fields = merged
    incident.save(update_fields=["custom_fields", "updated_at"])
    audit.record("incident.custom_fields_changed", actor=actor, target=incident, data=audit_data)
    return incident
