"""`{% load incident_classification %}{% incident_classification incident %}`: the
incident page's type, tags and custom fields (incidents.classification)."""

from django import template

from incidents.classification import section_context
from incidents.custom_fields import display_values

register = template.Library()


@register.inclusion_tag("incidents/partials/classification.html", takes_context=True)
def incident_classification(context, incident):
    ctx = section_context(context["request"], incident)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.inclusion_tag("incidents/partials/classification_facts.html")
def incident_facts(incident):
    """The type, tags and custom field values as <dt>/<dd> pairs (the printable report)."""
    definitions = incident.incident_type.custom_fields if incident.incident_type else []
    return {
        "incident": incident,
        "field_values": display_values(definitions, incident.custom_fields),
    }


@register.filter
def overdue_count(tasks) -> int:
    return sum(1 for task in tasks if task.is_overdue)
