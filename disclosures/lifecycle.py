"""The disclosure lifecycle: one table of allowed status changes, checked in one place."""

from django.db import models

from core.errors import IllegalStateChange


class DisclosureStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


# What each status may become. An edit after submission or approval returns the
# draft to `draft`; withdrawn is possible from anything but published; published
# and withdrawn are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    DisclosureStatus.DRAFT: frozenset({DisclosureStatus.IN_REVIEW, DisclosureStatus.WITHDRAWN}),
    DisclosureStatus.IN_REVIEW: frozenset(
        {DisclosureStatus.APPROVED, DisclosureStatus.DRAFT, DisclosureStatus.WITHDRAWN}
    ),
    DisclosureStatus.APPROVED: frozenset(
        {DisclosureStatus.PUBLISHED, DisclosureStatus.DRAFT, DisclosureStatus.WITHDRAWN}
    ),
    DisclosureStatus.PUBLISHED: frozenset(),
    DisclosureStatus.WITHDRAWN: frozenset(),
}

# Statuses in which the text may still change (an edit makes a new version).
EDITABLE = frozenset(
    {DisclosureStatus.DRAFT, DisclosureStatus.IN_REVIEW, DisclosureStatus.APPROVED}
)
FINAL = frozenset({DisclosureStatus.PUBLISHED, DisclosureStatus.WITHDRAWN})


class IllegalTransition(IllegalStateChange):
    """A status change the disclosure lifecycle does not allow (409 in the API, core.api)."""


def check_transition(current: str, target: str) -> None:
    if target in TRANSITIONS[current]:
        return
    allowed = sorted(DisclosureStatus(s).label.lower() for s in TRANSITIONS[current])
    raise IllegalTransition(
        f"A disclosure that is {DisclosureStatus(current).label.lower()} can become "
        f"{' or '.join(allowed) or 'nothing else'}, not {DisclosureStatus(target).label.lower()}."
    )


def may_become(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
