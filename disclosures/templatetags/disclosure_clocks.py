"""{% next_deadline incident %}: the incident header's regulatory clock, the nearest
deadline still running among the incident's disclosures the person may read, so the
incidents app shows it without knowing disclosures exist in Python."""

from django import template
from django.utils import timezone

from disclosures import selectors
from disclosures.views.common import countdowns

register = template.Library()

RUNNING = ("overdue", "soon", "running")


@register.inclusion_tag("disclosures/partials/next_deadline.html", takes_context=True)
def next_deadline(context, incident):
    user = context["request"].user
    if not user.has_perm("disclosures.view_disclosure"):
        return {"clock": None}
    now = timezone.now()
    running = [
        {**clock, "disclosure": disclosure}
        for disclosure in selectors.disclosure_list(user=user, incident=incident)
        for clock in countdowns(disclosure, now)
        if clock["state"] in RUNNING and clock["deadline"].due_at is not None
    ]
    running.sort(key=lambda clock: clock["deadline"].due_at)
    return {"clock": running[0] if running else None}
