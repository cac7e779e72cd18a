"""The texts of Cordon's messages: every e-mail is rendered here from templates/email/.

`render_message(name, context)` renders `email/<name>_subject.txt`, `email/<name>.txt`
and `email/<name>.html` from one context and returns (subject, text, html). Services
hand the result to `notification_queue(message=...)`; no service writes a text itself.

Links. Every link starts with settings.SITE_URL, never with the host of a request (a
Host header must not be able to steer a one-time link to somebody else's server):
`absolute_url(viewname, *args)` in Python, `{% absolute_url "viewname" arg %}` in a
template (notifications/templatetags/email_links.py), `{{ site_url }}` for the site.

Incidents. A message about an incident is rendered with `incident=`: its templates get
`incident_label` (the reference, INC-…, by which every message names it) and `link` (the
page the message is about; the incident's page by default, which the caller builds). A
restricted incident's message is never rendered from its own templates: the stand-in
`email/restricted_incident.*` is, from the reference and the link alone, so no title,
system, evidence name or disclosure text can reach a template that could print it.

Escaping. The HTML part is rendered with Django's autoescaping; the subject and the text
part without it (they are plain text, where `&lt;` would only garble a title). The
subject is one line, whatever the context holds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context
from django.template.backends.django import Template as DjangoBackendTemplate
from django.template.loader import get_template
from django.urls import reverse

RESTRICTED_INCIDENT = "restricted_incident"
SUBJECT_MAX_LENGTH = 200
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")


class Message(NamedTuple):
    subject: str
    text: str
    html: str


class AboutMessage(Message):
    """A rendered message that also knows what it is about (`about`: the incident, for
    the in-app list's need-to-know check) and the page it links to (`link`). It unpacks
    as (subject, text, html) like any Message."""

    about: object = None
    link: str = ""


def absolute_url(viewname: str, *args, **kwargs) -> str:
    """SITE_URL + reverse(viewname): the only way a link in a message is built."""
    return settings.SITE_URL + reverse(viewname, args=args or None, kwargs=kwargs or None)


def _render(template_name: str, context: dict, *, autoescape: bool) -> str:
    loaded = get_template(template_name)
    # Autoescaping is chosen per part, which only the Django engine's own Template allows.
    if not isinstance(loaded, DjangoBackendTemplate):
        raise ImproperlyConfigured(f"{template_name} must come from the Django template engine.")
    return loaded.template.render(Context(context, autoescape=autoescape))


def _tidy_text(text: str) -> str:
    """Template tags on lines of their own leave blank lines behind: at most one in a row."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines) + "\n"


def _one_line(subject: str) -> str:
    return " ".join(subject.split())[:SUBJECT_MAX_LENGTH]


def _incident_context(incident, context: dict) -> tuple[str, dict]:
    """The template and context of a message about `incident`: for a restricted one, the
    stand-in with the reference and the link and nothing else of the caller's context."""
    link = context.get("link", "")
    if not link.startswith(settings.SITE_URL + "/"):
        raise ValueError("A message about an incident needs its absolute `link`.")
    if incident.restricted:
        return RESTRICTED_INCIDENT, {"incident_label": incident.reference, "link": link}
    return "", {**context, "incident": incident, "incident_label": incident.reference}


def render_message(name: str, context: dict | None = None, *, incident=None) -> Message:
    """Render message `name` (templates/email/<name>*) from `context`; see the module."""
    context = dict(context or {})
    if incident is not None:
        stand_in, context = _incident_context(incident, context)
        name = stand_in or name
    context["site_url"] = settings.SITE_URL
    subject = _render(f"email/{name}_subject.txt", context, autoescape=False)
    text = _render(f"email/{name}.txt", context, autoescape=False)
    html = _render(f"email/{name}.html", context, autoescape=True)
    message = AboutMessage(_one_line(subject), _tidy_text(text), html.strip() + "\n")
    message.about = incident
    message.link = str(context.get("link", ""))
    return message
