"""`{% load core_marking %}{% tlp incident.tlp %}` and `{% pap incident.pap %}`: a TLP or
PAP marking as a coloured label (templates/core/marking.html). The label always carries
its text (`TLP:AMBER`), so the colour is never the only sign; the colours are FIRST's
TLP 2.0 ones, on black, which pass WCAG AA contrast."""

from django import template

from core.marking import css_suffix, pap_label, tlp_label

register = template.Library()


@register.inclusion_tag("core/marking.html")
def tlp(value):
    return {"kind": "tlp", "value": css_suffix(value or ""), "label": tlp_label(value or "")}


@register.inclusion_tag("core/marking.html")
def pap(value):
    return {"kind": "pap", "value": css_suffix(value or ""), "label": pap_label(value or "")}


@register.filter
def tlp_text(value) -> str:
    """The marking as text, for exports and CSV cells: `TLP:AMBER`."""
    return tlp_label(value or "")
