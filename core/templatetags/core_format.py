"""Template filters for core.formatting: `{{ seconds_or_timedelta|duration }}`,
`{{ moment|utc }}`."""

from django import template

from core import formatting

register = template.Library()


@register.filter
def duration(value) -> str:
    return formatting.duration_text(value)


@register.filter
def utc(moment) -> str:
    return formatting.utc_text(moment)
