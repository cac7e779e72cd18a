"""Template filters for the dashboard pages."""

from django import template

from dashboard.metrics import duration_text

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as people read a duration: "3 d 4 h", "5 h 12 min"."""
    return duration_text(seconds)
