"""`{% load incident_classification %}{% incident_classification incident %}`: the
incident page's type, tags and custom fields (incidents.classification)."""

from django import template

from incidents.classification import section_context

register = template.Library()


@register.inclusion_tag("incidents/partials/classification.html", takes_context=True)
def incident_classification(context, incident):
    ctx = section_context(context["request"], incident)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.filter
def overdue_count(tasks) -> int:
    return sum(1 for task in tasks if task.is_overdue)
