"""{% incident_disclosures incident %}: the incident page's disclosures section, so the
incidents app renders it without knowing disclosures exist in Python."""

from django import template

from disclosures import selectors
from disclosures.forms import NewDisclosureForm
from disclosures.views.common import countdowns

register = template.Library()


@register.inclusion_tag("disclosures/incident_section.html", takes_context=True)
def incident_disclosures(context, incident):
    user = context["request"].user
    rows = [
        {"disclosure": disclosure, "countdowns": countdowns(disclosure)}
        for disclosure in selectors.disclosure_list(user=user, incident=incident)
    ]
    return {
        "incident": incident,
        "rows": rows,
        "may_read": user.has_perm("disclosures.view_disclosure"),
        "may_draft": user.has_perm("disclosures.add_disclosure"),
        "form": NewDisclosureForm(),
        "csrf_token": context.get("csrf_token"),
    }
