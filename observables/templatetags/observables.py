"""`{% load observables %}{% incident_observables incident %}`: the Observables section of
an incident page, so the incidents app renders it without knowing observables exist in
Python (DESIGN.md: dependencies point one way). A page rendered again after a refused
post passes what to show as `observables_state`."""

from django import template

from observables.section import section_context

register = template.Library()


@register.inclusion_tag("observables/partials/incident_section.html", takes_context=True)
def incident_observables(context, incident):
    request = context["request"]
    ctx = section_context(request, incident, state=context.get("observables_state"))
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.inclusion_tag("observables/partials/incident_techniques.html", takes_context=True)
def incident_techniques(context, incident):
    """`{% incident_techniques incident %}`: the ATT&CK techniques part of the page."""
    from observables.techniques import techniques_context

    ctx = techniques_context(context["request"], incident)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx
