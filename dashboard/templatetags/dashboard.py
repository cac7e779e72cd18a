"""Template filters for the dashboard pages."""

from django import template

from dashboard import access
from dashboard.metrics import duration_text
from incidents.models import DataCategory

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as people read a duration: "3 d 4 h", "5 h 12 min"."""
    return duration_text(seconds)


@register.filter
def may_generate_incident_report(user) -> bool:
    """For a link to the report from other pages:
    `{% load dashboard %}{% if user|may_generate_incident_report %}…{% endif %}`."""
    return access.may_generate_incident_report(user)


@register.filter
def may_read_metrics(user) -> bool:
    return access.may_read_metrics(user)


@register.filter
def data_category_labels(values) -> str:
    """An incident's data categories as people read them ("Personal data (PII), Payment
    card data"), not their stored values."""
    labels = dict(DataCategory.choices)
    return ", ".join(str(labels.get(value, value)) for value in values or [])
