"""`{% absolute_url "viewname" arg … %}`: a link for a message, from SITE_URL (see
notifications.messages). In a message, `{% url %}` would give a path without a host."""

from django import template

from notifications.messages import absolute_url as build_absolute_url

register = template.Library()


@register.simple_tag
def absolute_url(viewname: str, *args, **kwargs) -> str:
    return build_absolute_url(viewname, *args, **kwargs)
