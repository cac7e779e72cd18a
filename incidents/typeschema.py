"""The JSON document of an incident type: its JSON Schema, and the checks a schema
cannot state (unique keys, task dependencies that exist and form no cycle).

One validator serves the model (IncidentType.clean), the edit pages and the import,
so a type is refused the same way wherever it comes from; every error names the path
of the offending value in the document, e.g. `types[0].playbook[2].due_hours`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from core.marking import TLP

if TYPE_CHECKING:
    import jsonschema

SEVERITIES = ("low", "medium", "high", "critical")
PHASES = ("assess_contain", "disclose", "find_patch", "prepare")
PHASE_LABELS = {
    "assess_contain": "Assess and contain",
    "disclose": "Disclose",
    "find_patch": "Find and patch",
    "prepare": "Prepare",
}
# The crew roles of incidents.models.CrewRole (a playbook task's default assignee).
ASSIGNEE_ROLES = ("commander", "responder", "legal", "communications", "observer")
FIELD_KINDS = ("text", "number", "date", "choice", "multi_choice", "boolean", "url")
CHOICE_KINDS = ("choice", "multi_choice")
MAX_DUE_HOURS = 24 * 366
EXPORT_FORMAT = "cordon-incident-types"
EXPORT_VERSION = 1

KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,49}$"}
LINE = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^\r\n]*\S[^\r\n]*$"}
TEXT = {"type": "string", "maxLength": 4000}
TAG = {"type": "string", "pattern": r"^[\w][\w:.+\-/ ]{0,49}$"}

TASK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "title", "phase"],
    "properties": {
        "key": KEY,
        "title": LINE,
        "description": TEXT,
        "phase": {"enum": list(PHASES)},
        "assignee_role": {"enum": ["", *ASSIGNEE_ROLES]},
        "due_hours": {"type": "integer", "minimum": 0, "maximum": MAX_DUE_HOURS},
        "after": {"type": "array", "items": KEY, "uniqueItems": True, "maxItems": 20},
    },
}
FIELD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "label", "kind"],
    "properties": {
        "key": KEY,
        "label": LINE,
        "kind": {"enum": list(FIELD_KINDS)},
        "required": {"type": "boolean"},
        "help_text": {"type": "string", "maxLength": 500},
        "choices": {"type": "array", "items": LINE, "uniqueItems": True, "maxItems": 50},
    },
    "if": {"properties": {"kind": {"enum": list(CHOICE_KINDS)}}},
    "then": {"required": ["choices"], "properties": {"choices": {"minItems": 1}}},
}
SECTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "title"],
    "properties": {"key": KEY, "title": LINE, "guidance": TEXT},
}
TYPE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Cordon incident type",
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "name"],
    "properties": {
        "key": KEY,
        "name": {**LINE, "maxLength": 100},
        "description": TEXT,
        "default_severity": {"enum": list(SEVERITIES)},
        "default_tlp": {"enum": list(TLP.values)},
        "default_tags": {"type": "array", "items": TAG, "uniqueItems": True, "maxItems": 20},
        "disclosure_regimes": {"type": "array", "items": KEY, "uniqueItems": True},
        "playbook": {"type": "array", "items": TASK, "maxItems": 100},
        "custom_fields": {"type": "array", "items": FIELD, "maxItems": 50},
        "review_sections": {"type": "array", "items": SECTION, "maxItems": 30},
        "retired": {"type": "boolean"},
    },
}
EXPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Cordon incident types",
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "version", "types"],
    "properties": {
        "format": {"const": EXPORT_FORMAT},
        "version": {"const": EXPORT_VERSION},
        "types": {"type": "array", "items": TYPE_SCHEMA, "maxItems": 200},
    },
}


def path_text(parts: Iterable, prefix: str = "") -> str:
    """`types[0].playbook[2].phase` for the path ("types", 0, "playbook", 2, "phase")."""
    text = prefix
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def _schema_error(error: jsonschema.ValidationError, prefix: str) -> ValidationError:
    return ValidationError({path_text(error.absolute_path, prefix): [error.message]})


def _check_unique(items: list, name: str, prefix: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["key"] in seen:
            path = path_text((name, index, "key"), prefix)
            raise ValidationError({path: [f"The key “{item['key']}” is used twice."]})
        seen.add(item["key"])


def _check_dependencies(playbook: list, prefix: str) -> None:
    """Every `after` names a task of the playbook, and the dependencies have no cycle."""
    keys = {task["key"]: index for index, task in enumerate(playbook)}
    for index, task in enumerate(playbook):
        for position, other in enumerate(task.get("after", [])):
            if other not in keys:
                path = path_text(("playbook", index, "after", position), prefix)
                raise ValidationError({path: [f"No task of this playbook has the key “{other}”."]})
    state: dict[str, str] = {}

    def visit(key: str, trail: list[str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "open":
            cycle = " → ".join([*trail[trail.index(key) :], key])
            path = path_text(("playbook", keys[key], "after"), prefix)
            raise ValidationError({path: [f"The tasks depend on each other in a cycle: {cycle}."]})
        state[key] = "open"
        for other in playbook[keys[key]].get("after", []):
            visit(other, [*trail, key])
        state[key] = "done"

    for task in playbook:
        visit(task["key"], [])


def validate_type_document(document, *, prefix: str = "") -> None:
    """Raise ValidationError naming the path of the first problem in a type's document."""
    import jsonschema  # a second to import (its format checkers): only when a type is checked

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(TYPE_SCHEMA).iter_errors(document)
    )
    if error is not None:
        raise _schema_error(error, prefix)
    for name in ("playbook", "custom_fields", "review_sections"):
        _check_unique(document.get(name, []), name, prefix)
    _check_dependencies(document.get("playbook", []), prefix)


def validate_export_document(document) -> list[dict]:
    """The types of an export file, after checking the whole file; errors name their path."""
    import jsonschema

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(EXPORT_SCHEMA).iter_errors(document)
    )
    if error is not None:
        raise _schema_error(error, "")
    types = document["types"]
    _check_unique(types, "types", "")
    for index, item in enumerate(types):
        validate_type_document(item, prefix=path_text(("types", index)))
    return types
