"""Which messages each person gets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from accounts.models import (
    User,
)


def notification_rows(*, user: User) -> list[dict]:
    """The events on the person's preferences page (offered to their role, or turned on
    by them), each with whether they get it now and whether they may turn it off."""
    from notifications.events import events_for
    from notifications.services import notification_preferences_of

    effective = notification_preferences_of(user=user, roles=user.roles)
    opted_in = user.notification_preferences.filter(email=True).values_list("event", flat=True)
    return [
        {"event": event, "email": effective[event.name]}
        for event in events_for(user.roles, opted_in)
    ]


@transaction.atomic
def notification_preferences_save(*, user: User, choices: dict[str, bool]) -> dict[str, bool]:
    """Save the person's e-mail choice for each event in `choices` (only events on their
    page; mandatory ones cannot be turned off). Returns the events that changed. Nothing
    is saved when any choice is refused."""
    from notifications.services import notification_preference_set

    rows = {row["event"].name: row for row in notification_rows(user=user)}
    unknown = sorted(name for name in choices if name not in rows)
    if unknown:
        raise ValidationError(
            {"events": [f"Unknown notification event {name!r}." for name in unknown]}
        )
    forced = sorted(
        name for name, email in choices.items() if rows[name]["event"].mandatory and not email
    )
    if forced:
        labels = ", ".join(rows[name]["event"].label for name in forced)
        raise ValidationError({"events": [f"Always sent, cannot be turned off: {labels}."]})
    changed = {
        name: bool(email)
        for name, email in choices.items()
        if bool(email) != rows[name]["email"] and not rows[name]["event"].mandatory
    }
    for name, email in changed.items():
        notification_preference_set(user=user, event=name, email=email)
    if changed:
        audit.record(
            "notification.preferences_changed",
            actor=user,
            target=user,
            data={"changed": dict(sorted(changed.items()))},
        )
    return changed
