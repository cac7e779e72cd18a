"""What the incident services share: the permission and need-to-know check, and
the one way they tell people of something (templates, by reference)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from core.errors import IllegalStateChange
from core.permissions import require_permission
from incidents.lifecycle import Status
from incidents.models import (
    Incident,
)
from incidents.selectors import (
    may_see,
)
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue


def _require(actor, permission: str, *, incident: Incident | None = None) -> None:
    """The actor holds `permission` and, for a write to `incident` or what hangs off it,
    may see that incident (need-to-know): checked here whatever view or task calls."""
    require_permission(actor, permission)
    if incident is not None and not may_see(actor, incident):
        raise PermissionDenied("You may not see this incident.")


def _notify(*, recipients, incident: Incident, event: str, message: str, link="", **context):
    """One message per recipient about `incident`, from the templates `message`
    (templates/email/), linking to `link` (the incident's page by default)."""
    recipients = list(recipients)
    if not recipients:
        return
    link = link or absolute_url("incidents:detail", incident.pk)
    notification_queue(
        recipients=recipients,
        message=render_message(message, {**context, "link": link}, incident=incident),
        event=event,
    )


class IncidentClosed(IllegalStateChange):
    """A write to a closed incident: it is read-only until reopened (409)."""


def _require_open(incident: Incident) -> None:
    """A closed incident is read-only until someone moves it back to review, with a
    reason (incident_change_status). Read from the database, not from the caller's copy."""
    if Incident.objects.filter(pk=incident.pk, status=Status.CLOSED).exists():
        raise IncidentClosed(
            f"{incident.reference} is closed and read-only: move it back to review, "
            "with a reason, to change it."
        )
