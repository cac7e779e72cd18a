"""Template filters for the text rules of core.text.

`{{ value|comment_text }}`: a value written inside an HTML comment of an exported
document, which can neither close the comment nor start a line of its own.
"""

from django import template

from core import text

register = template.Library()


@register.filter
def comment_text(value) -> str:
    return text.comment_text(value)
