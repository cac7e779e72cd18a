"""The incident page's "Type, tags and fields" section: what it shows and offers.
Rendered by `{% load incident_classification %}{% incident_classification incident %}`
so the detail page's own context stays as it is."""

from __future__ import annotations

from incidents.custom_fields import display_values
from incidents.forms import CustomFieldsForm, PlaybookTasksForm, TagsForm, TypeChangeForm
from incidents.lifecycle import Status
from incidents.models import Incident, Tag
from incidents.services import missing_playbook_entries


def section_context(request, incident: Incident, *, bound=None, notice="") -> dict:
    bound = bound or {}
    # A closed incident is read-only until reopened: no forms to offer.
    may_change = incident.status != Status.CLOSED and request.user.has_perm(
        "incidents.change_incident"
    )
    definitions = incident.incident_type.custom_fields if incident.incident_type else []
    missing = missing_playbook_entries(incident) if may_change else []
    colours = dict(Tag.objects.filter(name__in=incident.tags).values_list("name", "colour"))
    return {
        "incident": incident,
        "may_change": may_change,
        "notice": notice,
        "tags": [(tag, colours.get(tag, "")) for tag in incident.tags],
        "field_values": display_values(definitions, incident.custom_fields),
        "type_form": bound.get("type") or TypeChangeForm(incident=incident),
        "tags_form": bound.get("tags") or TagsForm(incident=incident),
        "fields_form": bound.get("fields") or CustomFieldsForm(incident=incident),
        "playbook_form": PlaybookTasksForm(entries=missing) if missing else None,
    }
