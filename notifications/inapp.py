"""In-app notifications: the bell and its list, next to the e-mails.

`notification_queue` (notifications.services) writes one InAppNotification for every
person it sends an event's e-mail to (the same events, the same preferences). Each row
remembers what it is about (the incident, through content types) and its page.

Need-to-know. This app imports no domain app (DESIGN.md), so the app that owns a kind
of object registers a *gate* for it at start-up: `register_gate(Model, gate)`, where
`gate(user, ids)` answers which of those ids the person may see now. A notification
about anything the person may no longer see is left out of the list and the count,
and cannot be opened (404), so it never reveals an incident taken out of their sight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from notifications.models import InAppNotification

Gate = Callable[[Any, list[int]], Iterable[int]]
_GATES: dict[str, Gate] = {}

# The list shows this many at most (newest first); the bell counts up to it ("99+").
LIST_LIMIT = 100
COUNT_LIMIT = 99
# E-mail subjects start with this (templates/email/*_subject.txt); inside Cordon it is noise.
MAIL_SUBJECT_TAG = "[Cordon] "


def register_gate(model, gate: Gate) -> None:
    """`gate(user, ids)` -> the ids of `model` that `user` may see (called per list)."""
    _GATES[model._meta.label_lower] = gate


def _path(link: str) -> str:
    """A link of a message as a path on this site; anything else is dropped."""
    if link.startswith(settings.SITE_URL + "/"):
        link = link[len(settings.SITE_URL) :]
    return link if link.startswith("/") and not link.startswith("//") else ""


def inapp_create(*, recipients, event: str, subject: str, link: str = "", about=None) -> int:
    """One in-app notification per recipient (inside the caller's transaction)."""
    recipients = list(recipients)
    if not recipients:
        return 0
    target_type = ContentType.objects.get_for_model(about) if about is not None else None
    # One save per person, as the outbox does: each row is captured on its own.
    for recipient in recipients:
        InAppNotification.objects.create(
            recipient=recipient,
            event=event,
            subject=subject.removeprefix(MAIL_SUBJECT_TAG)[:200],
            link=_path(link)[:500],
            target_type=target_type,
            target_id=about.pk if about is not None else None,
        )
    return len(recipients)


def _visible(user, notifications: list[InAppNotification]) -> list[InAppNotification]:
    """Those of `notifications` whose target `user` may still see: one query per kind
    of target (a kind without a gate is never shown)."""
    wanted: dict[int, set[int]] = {}
    for notification in notifications:
        if notification.target_type_id is not None and notification.target_id is not None:
            wanted.setdefault(notification.target_type_id, set()).add(notification.target_id)
    allowed: dict[int, set[int]] = {}
    for type_id, ids in wanted.items():
        label = ContentType.objects.get_for_id(type_id)
        gate = _GATES.get(f"{label.app_label}.{label.model}")
        allowed[type_id] = set(gate(user, sorted(ids))) if gate else set()
    return [
        notification
        for notification in notifications
        if notification.target_type_id is None
        or notification.target_id in allowed.get(notification.target_type_id, set())
    ]


def inapp_list(*, user, limit: int = LIST_LIMIT) -> list[InAppNotification]:
    """The person's notifications they may still see, newest first."""
    rows = list(InAppNotification.objects.filter(recipient=user)[: limit * 2])
    return _visible(user, rows)[:limit]


def inapp_unread_count(*, user) -> int:
    """Unread notifications the person may still see (at most COUNT_LIMIT + 1)."""
    rows = list(
        InAppNotification.objects.filter(recipient=user, read_at__isnull=True).only(
            "id", "target_type_id", "target_id"
        )[: COUNT_LIMIT + 1]
    )
    return len(_visible(user, rows))


def inapp_get(*, user, pk: int) -> InAppNotification | None:
    """One of the person's notifications, if they may still see what it is about."""
    row = InAppNotification.objects.filter(recipient=user, pk=pk).first()
    if row is None or not _visible(user, [row]):
        return None
    return row


@transaction.atomic
def inapp_mark_read(*, notification: InAppNotification, actor) -> InAppNotification:
    """Mark one of the actor's own notifications read (someone else's: PermissionDenied)."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("Only its recipient marks a notification read.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def inapp_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; how many were."""
    unread = InAppNotification.objects.filter(recipient=actor, read_at__isnull=True)
    return unread.update(read_at=timezone.now())
