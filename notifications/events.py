"""Which messages Cordon sends, and who gets each one unless they choose otherwise.

The sender of a message names the event and the people it concerns (the crew, the
assignee, the managers…): its *candidates*. Of those, each person gets it when

- the event is mandatory (security alerts about their own account, the audit chain
  break): always, whatever they chose;
- they chose (a NotificationPreference row): as they chose;
- otherwise by default: when one of their roles is among the event's default roles,
  or the event has none (`ADDRESSED`: everyone the sender addresses, for messages to
  a named person such as "you were added to a crew").

Roles are the group names of accounts.roles.Role, spelt out here as plain strings:
this app imports no domain app (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

LEAD = "lead"
RESPONDER = "responder"
MANAGER = "manager"
LEGAL = "legal"
AUDITOR = "auditor"
REPORTER = "reporter"
ALL_ROLES = frozenset({LEAD, RESPONDER, MANAGER, LEGAL, AUDITOR, REPORTER})

ADDRESSED = None  # default_roles of an event for everyone the sender addresses


@dataclass(frozen=True)
class NotificationEvent:
    """One kind of message."""

    name: str
    label: str
    description: str
    # Who gets it when they have not chosen: these roles, or everyone addressed (None).
    default_roles: frozenset[str] | None
    # Whose preferences page lists it (they may turn it on or off); default: everyone.
    offered_to: frozenset[str] = ALL_ROLES
    # Mandatory: always sent to every candidate; no preference turns it off.
    mandatory: bool = False

    def on_by_default(self, roles) -> bool:
        if self.mandatory or self.default_roles is ADDRESSED:
            return True
        return bool(self.default_roles.intersection(roles))

    def offered(self, roles) -> bool:
        return bool(self.offered_to.intersection(roles))


CREW_ROLES = frozenset({LEAD, RESPONDER, LEGAL, MANAGER, AUDITOR})

EVENTS: dict[str, NotificationEvent] = {
    event.name: event
    for event in (
        NotificationEvent(
            "incident.filed",
            "High or critical incident filed",
            "A new incident of high or critical severity was filed.",
            default_roles=frozenset({LEAD}),
            offered_to=frozenset({LEAD}),
        ),
        NotificationEvent(
            "incident.filed_any",
            "Low or medium incident filed",
            "A new incident of low or medium severity was filed (off unless you turn it on).",
            default_roles=frozenset(),
            offered_to=frozenset({LEAD}),
        ),
        NotificationEvent(
            "incident.severity_raised",
            "Severity raised",
            "The severity of an incident you work on was raised.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "incident.crew_added",
            "Added to a crew",
            "You were added to an incident's crew.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "incident.task_assigned",
            "Task assigned",
            "A task on an incident was assigned to you.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "review.action_item_assigned",
            "Review action item assigned",
            "An action item of a post-incident review was assigned to you.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "evidence.verified",
            "Evidence verified",
            "Evidence you uploaded was stored and its hash matches the receipt.",
            default_roles=ADDRESSED,
            offered_to=frozenset({LEAD, RESPONDER, REPORTER}),
        ),
        NotificationEvent(
            "evidence.integrity_failure",
            "Evidence integrity failure",
            "Stored evidence of an incident you work on no longer matches its hash.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "disclosure.submitted",
            "Disclosure awaits approval",
            "A disclosure was submitted for your approval.",
            default_roles=frozenset({MANAGER, LEGAL}),
            offered_to=frozenset({MANAGER, LEGAL}),
        ),
        NotificationEvent(
            "disclosure.approved",
            "Disclosure approved",
            "A disclosure you wrote, or of an incident you work on, was approved.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "disclosure.published",
            "Disclosure published",
            "A disclosure you wrote, or of an incident you work on, went out.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "disclosure.deadline_reminder",
            "Regulatory deadline reminder",
            "A regulatory deadline of a disclosure is near or has passed.",
            default_roles=ADDRESSED,
            offered_to=CREW_ROLES,
        ),
        NotificationEvent(
            "account.locked_out",
            "Your account was locked",
            "Too many wrong passwords were tried on your account; sign-in is paused.",
            default_roles=ADDRESSED,
            mandatory=True,
        ),
        NotificationEvent(
            "account.new_login_address",
            "Sign-in from a new address",
            "Someone signed in to your account from an address you never used before.",
            default_roles=ADDRESSED,
            mandatory=True,
        ),
        NotificationEvent(
            "alert.received",
            "High or critical alert received",
            "A new alert of high or critical severity arrived in the intake queue.",
            default_roles=frozenset({LEAD}),
            offered_to=frozenset({LEAD, RESPONDER}),
        ),
        NotificationEvent(
            "resource.spike",
            "CPU or memory spike",
            "The machine running Cordon stayed over its CPU or memory threshold.",
            default_roles=frozenset({LEAD, AUDITOR}),
            offered_to=frozenset({LEAD, AUDITOR}),
        ),
        NotificationEvent(
            "audit.chain_broken",
            "Audit chain broken",
            "Verification found the audit log changed: treat it as a security incident.",
            default_roles=ADDRESSED,
            offered_to=frozenset({LEAD, AUDITOR}),
            mandatory=True,
        ),
    )
}


def get_event(name: str) -> NotificationEvent:
    """The event called `name`; ValueError for a name nobody registered (a typo in a
    sender must fail loudly, not send to everyone or no one)."""
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"Unknown notification event {name!r}.") from None


def events_for(roles, opted_in=()) -> list[NotificationEvent]:
    """The events a person with `roles` sees on their preferences page: those offered
    to one of their roles and those they turned on themselves, in registry order."""
    opted_in = set(opted_in)
    return [e for e in EVENTS.values() if e.offered(roles) or e.name in opted_in]
