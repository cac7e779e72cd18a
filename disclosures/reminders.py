"""Reminders of regulatory deadlines (the write side; disclosures.tasks runs it on the
celery beat schedule).

For every disclosure that has not gone out, each deadline is reminded at the points in
settings.DISCLOSURE_REMINDER_POINTS: "half" (half-time), "<n>h" (n hours before it) and
"overdue" (when it passes). A ReminderSent row, unique per disclosure, deadline and
point, is written in the same transaction as the notifications, so each point is sent
once however often and however concurrently the task runs. When several points were
reached since the last run (the task was down, or the incident was filed late), they
are all recorded and one message tells the latest.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from core.formatting import duration_text
from disclosures.deadlines import Deadline
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Disclosure, ReminderSent
from disclosures.selectors import deadlines_of
from incidents.selectors import people_who_see
from notifications.messages import Message, absolute_url, render_message
from notifications.services import notification_queue

OPEN_STATUSES = (DisclosureStatus.DRAFT, DisclosureStatus.IN_REVIEW, DisclosureStatus.APPROVED)
HALF_TIME = "half"
OVERDUE = "overdue"
HOURS_BEFORE = re.compile(r"^(\d{1,4})h$")


@dataclass(frozen=True)
class ReminderPoint:
    name: str
    at: dt.datetime


def reminder_points(deadline: Deadline) -> list[ReminderPoint]:
    """When to remind of `deadline`, earliest first. Points that fall at or before the
    start of the clock (24 h before a 24 h deadline) are left out."""
    if deadline.due_at is None or deadline.starts_at is None:
        return []
    points = []
    for name in settings.DISCLOSURE_REMINDER_POINTS:
        if name == HALF_TIME:
            at = deadline.starts_at + (deadline.due_at - deadline.starts_at) / 2
        elif name == OVERDUE:
            at = deadline.due_at
        elif match := HOURS_BEFORE.match(name):
            at = deadline.due_at - dt.timedelta(hours=int(match.group(1)))
        else:
            raise ImproperlyConfigured(
                f"DISCLOSURE_REMINDER_POINTS: {name!r} is not 'half', '<n>h' or 'overdue'."
            )
        if at > deadline.starts_at:
            points.append(ReminderPoint(name, at))
    return sorted(points, key=lambda point: point.at)


def _recipients(disclosure: Disclosure) -> list[User]:
    """The incident's crew, the leads and the managers: those of them who may see it."""
    incident = disclosure.incident
    concerned = Q(crew_memberships__incident=incident) | Q(
        groups__name__in=[Role.LEAD, Role.MANAGER]
    )
    return list(people_who_see(incident).filter(concerned).order_by("pk"))


def _record(disclosure: Disclosure, deadline: Deadline, point: ReminderPoint) -> bool:
    if deadline.due_at is None:
        raise ValueError(f"{deadline.name} has no due time, so no reminder points.")
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                disclosure=disclosure,
                deadline=deadline.name,
                point=point.name,
                due_at=deadline.due_at,
            )
    except IntegrityError:
        return False  # another run sent it
    return True


def _message(disclosure: Disclosure, deadline: Deadline, point: ReminderPoint, now) -> Message:
    return render_message(
        "disclosure_deadline_reminder",
        {
            "deadline": deadline,
            "overdue": point.name == OVERDUE,
            "due_in": duration_text(deadline.due_at - now),
            "disclosure": disclosure,
            "status": disclosure.get_status_display(),
            "link": absolute_url("disclosures:detail", disclosure.pk),
        },
        incident=disclosure.incident,
    )


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send every reminder that is due and not yet sent; return how many points were sent."""
    now = now or timezone.now()
    sent = 0
    disclosures = Disclosure.objects.filter(status__in=OPEN_STATUSES).select_related("incident")
    for disclosure in disclosures.prefetch_related("publications", "reminders"):
        already = {(r.deadline, r.point) for r in disclosure.reminders.all()}
        for deadline in deadlines_of(disclosure):
            reached = [
                point
                for point in reminder_points(deadline)
                if point.at <= now and (deadline.name, point.name) not in already
            ]
            if not reached:
                continue
            with transaction.atomic():
                recorded = [point for point in reached if _record(disclosure, deadline, point)]
                if not recorded:
                    continue
                notification_queue(
                    recipients=_recipients(disclosure),
                    message=_message(disclosure, deadline, recorded[-1], now),
                    event="disclosure.deadline_reminder",
                )
                sent += len(recorded)
    return sent
