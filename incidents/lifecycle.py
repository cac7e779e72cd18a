"""The incident lifecycle: one table of allowed status changes, checked in one place."""

import itertools

from django.core.exceptions import ValidationError
from django.db import models

from core.errors import IllegalStateChange


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGE = "triage", "Triage"
    CONTAINMENT = "containment", "Containment"
    ERADICATION = "eradication", "Eradication"
    RECOVERY = "recovery", "Recovery"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"


ORDER = list(Status)

# Forward one step at a time; back one step only with a written reason. Keyed by str so
# that a stored status (a plain string) looks its neighbours up as a Status would.
FORWARD: dict[str, str] = dict(itertools.pairwise(ORDER))
BACKWARD: dict[str, str] = {following: current for current, following in FORWARD.items()}


class IllegalTransition(IllegalStateChange):
    """A status change the lifecycle does not allow (409 in the API, core.api)."""


class ReviewRequired(IllegalTransition):
    """Closing an incident of this severity needs a completed post-incident review
    (settings.REVIEW_REQUIRED_SEVERITIES). An IllegalTransition, so the API answers 409."""


class ReasonRequired(ValidationError):
    """Moving back a step needs a reason: an error of the `reason` field."""

    def __init__(self, message: str):
        super().__init__({"reason": [message]})


def check_transition(current: str, target: str, reason: str) -> None:
    if FORWARD.get(current) == target:
        return
    if BACKWARD.get(current) == target:
        if not reason.strip():
            raise ReasonRequired(f"Moving back from {current} to {target} needs a reason.")
        return
    allowed = [s for s in (FORWARD.get(current), BACKWARD.get(current)) if s]
    raise IllegalTransition(
        f"An incident in {current} can move to {' or '.join(allowed) or 'nothing'}, not {target}."
    )


def next_statuses(current: str) -> list[str]:
    return [s for s in (FORWARD.get(current), BACKWARD.get(current)) if s]
