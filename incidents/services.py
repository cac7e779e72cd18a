"""Every write to incidents and what hangs off them. Each function checks that the
actor may do it, validates, saves in one transaction and records an audit event.

Notifications name their event (notification_queue(event=...)) so that people's
preferences apply: incident.filed (incident.filed_any below high severity),
incident.severity_raised, incident.crew_added, incident.task_assigned and
review.action_item_assigned. Their texts are templates (templates/email/, rendered by
notifications.messages), which names every incident by its reference and says nothing
but that and a link about a restricted one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

import audit
from core.db import unique_or
from core.formatting import duration_text, utc_text
from core.permissions import require_permission
from core.text import clean_multiline_text
from core.validation import untouched_ruled_fields
from incidents.lifecycle import ReviewRequired, Status, check_transition
from incidents.models import (
    CLOSED_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    AffectedSystem,
    ContainmentChange,
    ContainmentState,
    CrewMember,
    CrewRole,
    EntryKind,
    Finding,
    Incident,
    PostIncidentReview,
    ReferenceCounter,
    ReviewSection,
    ReviewSectionKind,
    ReviewStatus,
    Severity,
    Task,
    TimelineEntry,
)
from incidents.selectors import (
    active_leads,
    crew_and_leads,
    crew_manageable_by,
    may_see,
    reads_reviews,
)
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

# Fields of an incident that its editors may change directly (status has its own verb).
EDITABLE_FIELDS = (
    "title",
    "description",
    "severity",
    "occurred_at",
    "discovered_at",
    "aware_at",
    "discovery_method",
    "attack_vectors",
    "data_categories",
    "estimated_affected_people",
    "restricted",
)

# Leads hear of every filing at these severities (incident.filed); of the rest only
# if they opted in (incident.filed_any).
LEADS_NOTIFIED_OF_FILING = (Severity.HIGH, Severity.CRITICAL)
SEVERITY_ORDER = list(Severity.values)


def _require(actor, permission: str, *, incident: Incident | None = None) -> None:
    """The actor holds `permission` and, for a write to `incident` or what hangs off it,
    may see that incident (need-to-know): checked here whatever view or task calls."""
    require_permission(actor, permission)
    if incident is not None and not may_see(actor, incident):
        raise PermissionDenied("You may not see this incident.")


def _next_reference(year: int) -> str:
    """Hand out the next number of the year atomically; safe under concurrent filing.

    One upsert statement: concurrent callers queue on the counter row, and the
    number rolls back with the filing if the transaction fails.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"INC-{year}-{number:04d}"


@transaction.atomic
def incident_file(*, reporter, title: str, severity: str, **fields) -> Incident:
    """File a new incident; it starts in `new` with an opening timeline entry."""
    _require(reporter, "incidents.add_incident")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_file() got unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("aware_at") is None:
        fields.pop("aware_at", None)
    incident = Incident(reporter=reporter, title=title, severity=severity, **fields)
    incident.full_clean(exclude=["reference", "reporter"])  # reporter: the caller
    incident.reference = _next_reference(incident.created_at.year)
    incident.save()
    TimelineEntry.objects.create(
        incident=incident,
        kind=EntryKind.STATUS_CHANGE,
        body=f"Incident filed with severity {incident.get_severity_display().lower()}.",
        occurred_at=incident.created_at,
        author=reporter,
    )
    audit.record(
        "incident.filed",
        actor=reporter,
        target=incident,
        data={"reference": incident.reference, "severity": severity},
    )
    _notify_leads_of_filing(incident)
    return incident


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


def _notify_leads_of_filing(incident: Incident) -> None:
    """Leads hear of every high or critical filing (incident.filed); of the others only
    those leads who turned incident.filed_any on (notifications.events)."""
    event = (
        "incident.filed" if incident.severity in LEADS_NOTIFIED_OF_FILING else "incident.filed_any"
    )
    _notify(
        recipients=active_leads().exclude(pk=incident.reporter_id),
        incident=incident,
        event=event,
        message="incident_filed",
        reporter=incident.reporter.get_username(),
        severity=incident.get_severity_display(),
    )


@transaction.atomic
def incident_update(*, incident: Incident, actor, **fields) -> Incident:
    """Change an incident's facts (not its status)."""
    _require(actor, "incidents.change_incident", incident=incident)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_update() got unexpected fields: {', '.join(sorted(unknown))}")
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    changed = {name: value for name, value in fields.items() if getattr(incident, name) != value}
    if not changed:
        return incident
    if "severity" in changed and incident.status == Status.CLOSED:
        # The close gate (a completed review for some severities) was passed at the
        # severity the incident had then; re-rating means moving it back to review.
        raise ValidationError(
            {"severity": ["A closed incident keeps its severity: move it back to review first."]}
        )
    if "restricted" in changed and not crew_manageable_by(user=actor, incident=incident):
        # Who may see an incident is decided by those who decide its crew.
        raise PermissionDenied("Only leads and the incident commander change need-to-know.")
    previous_severity = incident.severity
    for name, value in changed.items():
        setattr(incident, name, value)
    incident.full_clean(exclude=untouched_ruled_fields(incident, changed))
    incident.save()
    audit.record("incident.updated", actor=actor, target=incident, data={"fields": sorted(changed)})
    if SEVERITY_ORDER.index(incident.severity) > SEVERITY_ORDER.index(previous_severity):
        _severity_raised(incident=incident, actor=actor, previous=previous_severity)
    return incident


def _severity_raised(*, incident: Incident, actor, previous: str) -> None:
    audit.record(
        "incident.severity_raised",
        actor=actor,
        target=incident,
        data={"from": previous, "to": incident.severity},
    )
    recipients = crew_and_leads(incident).exclude(pk=actor.pk)
    _notify(
        recipients=recipients,
        incident=incident,
        event="incident.severity_raised",
        message="incident_severity_raised",
        actor=actor.get_username(),
        previous=Severity(previous).label,
        severity=incident.get_severity_display(),
    )


@transaction.atomic
def incident_change_status(*, incident: Incident, actor, status: str, reason: str = "") -> Incident:
    """Move an incident along its lifecycle (incidents.lifecycle); writes a timeline entry.

    Entering `review` starts the post-incident review (once: it is kept when the
    incident goes back and forth). Closing an incident whose severity is in
    settings.REVIEW_REQUIRED_SEVERITIES needs that review completed.

    Raises IllegalTransition (ReviewRequired is one) or ReasonRequired without writing
    anything.
    """
    _require(actor, "incidents.change_incident", incident=incident)
    # Written into the timeline entry below: the same rule as any timeline text.
    reason = clean_multiline_text(reason, field="reason")
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    previous = incident.status
    check_transition(previous, status, reason)
    if status == Status.CLOSED:
        _check_review_for_closing(incident)
    now = timezone.now()
    incident.status = status
    if status == Status.ERADICATION and previous == Status.CONTAINMENT:
        incident.contained_at = now
    elif status == Status.CONTAINMENT and previous == Status.ERADICATION:
        incident.contained_at = None
    if status == Status.CLOSED:
        incident.resolved_at = now
    elif previous == Status.CLOSED:
        incident.resolved_at = None
    incident.save()
    body = f"Status changed from {Status(previous).label} to {Status(status).label}."
    if reason.strip():
        body += f" Reason: {reason.strip()}"
    TimelineEntry.objects.create(
        incident=incident, kind=EntryKind.STATUS_CHANGE, body=body, occurred_at=now, author=actor
    )
    audit.record(
        "incident.status_changed",
        actor=actor,
        target=incident,
        data={"from": previous, "to": status, "reason": reason.strip()},
    )
    if status == Status.REVIEW:
        review_start(incident=incident, actor=actor)
    return incident


def review_required(incident: Incident) -> bool:
    """Whether closing `incident` needs a completed review (REVIEW_REQUIRED_SEVERITIES)."""
    return incident.severity in settings.REVIEW_REQUIRED_SEVERITIES


def _check_review_for_closing(incident: Incident) -> None:
    if not review_required(incident):
        return
    # The incident row is locked; the review row is locked after it (as review_reopen does).
    review = (
        PostIncidentReview.objects.select_for_update(no_key=True, of=("self",))
        .filter(incident=incident)
        .first()
    )
    if review is None or not review.is_completed:
        raise ReviewRequired(
            f"Closing a {incident.get_severity_display().lower()} incident needs a completed "
            f"post-incident review: complete the review of {incident.reference} first "
            f"({reverse('incidents:review', args=[incident.pk])})."
        )


@transaction.atomic
def timeline_entry_add(
    *, incident: Incident, actor, body: str, kind: str = EntryKind.NOTE, occurred_at=None
) -> TimelineEntry:
    _require(actor, "incidents.add_timelineentry", incident=incident)
    if kind == EntryKind.STATUS_CHANGE:
        raise ValidationError({"kind": ["Status changes are recorded by changing the status."]})
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        author=actor,
    )
    entry.full_clean()  # the time's range too (core.dates.validate_event_time)
    entry.save()
    audit.record("incident.timeline_added", actor=actor, target=incident, data={"kind": kind})
    return entry


@transaction.atomic
def system_add(*, incident: Incident, actor, name: str, **fields) -> AffectedSystem:
    _require(actor, "incidents.change_incident", incident=incident)
    system = AffectedSystem(incident=incident, name=name, **fields)
    system.full_clean()
    system.save()
    audit.record(
        "incident.system_added", actor=actor, target=incident, data={"system": system.name}
    )
    return system


@transaction.atomic
def system_update(*, system: AffectedSystem, actor, **fields) -> AffectedSystem:
    """Change a system's facts, such as the end of its impact window."""
    _require(actor, "incidents.change_incident", incident=system.incident)
    allowed = {"name", "kind", "owner", "impact_start", "impact_end"}
    if set(fields) - allowed:
        raise TypeError(f"system_update() takes only {', '.join(sorted(allowed))}")
    changed = {name for name, value in fields.items() if getattr(system, name) != value}
    for name, value in fields.items():
        setattr(system, name, value)
    system.full_clean(exclude=untouched_ruled_fields(system, changed))
    system.save()
    audit.record(
        "incident.system_updated",
        actor=actor,
        target=system.incident,
        data={"system": system.name, "fields": sorted(fields)},
    )
    return system


@transaction.atomic
def system_change_containment(
    *, system: AffectedSystem, actor, state: str, note: str = ""
) -> AffectedSystem:
    _require(actor, "incidents.change_incident", incident=system.incident)
    if state not in ContainmentState.values:
        raise ValidationError({"state": [f"Choose one of {', '.join(ContainmentState.values)}."]})
    system = AffectedSystem.objects.select_for_update(no_key=True, of=("self",)).get(pk=system.pk)
    if system.containment_state == state:
        return system
    change = ContainmentChange(
        system=system,
        from_state=system.containment_state,
        to_state=state,
        note=(note or "").strip(),
        changed_by=actor,
    )
    change.full_clean()
    change.save()
    previous, system.containment_state = system.containment_state, state
    system.save(update_fields=["containment_state"])
    audit.record(
        "incident.containment_changed",
        actor=actor,
        target=system.incident,
        data={"system": system.name, "from": previous, "to": state, "note": change.note},
    )
    return system


@transaction.atomic
def task_add(*, incident: Incident, actor, title: str, assignee=None, due_date=None) -> Task:
    _require(actor, "incidents.change_incident", incident=incident)
    task = Task(
        incident=incident, title=title, assignee=assignee, due_date=due_date, created_by=actor
    )
    task.full_clean()
    task.save()
    audit.record("incident.task_added", actor=actor, target=incident, data={"task": title})
    if assignee is not None and assignee.pk != actor.pk:
        _notify(
            recipients=[assignee],
            incident=incident,
            event="incident.task_assigned",
            message="incident_task_assigned",
            actor=actor.get_username(),
            task=task,
        )
    return task


@transaction.atomic
def task_set_done(*, task: Task, actor, done: bool) -> Task:
    if actor != task.assignee:
        _require(actor, "incidents.change_incident", incident=task.incident)
    elif not may_see(actor, task.incident):
        raise PermissionDenied("You may not see this incident.")
    if task.done == done:
        return task
    task.done = done
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["done", "done_at"])
    audit.record(
        "incident.task_done" if done else "incident.task_reopened",
        actor=actor,
        target=task.incident,
        data={"task": task.title},
    )
    return task


@transaction.atomic
def crew_add(*, incident: Incident, actor, user, role: str = CrewRole.RESPONDER) -> CrewMember:
    """Put someone on the crew (for a restricted incident, this is what grants them sight)."""
    if not crew_manageable_by(user=actor, incident=incident):
        raise PermissionDenied("Only leads and the incident commander manage the crew.")
    if not user.is_active:
        raise ValidationError({"user": ["This person is deactivated."]})
    if not user.has_perm("incidents.view_incident"):
        raise ValidationError({"user": ["Only CSIRT members can be on a crew."]})
    already_on_crew = {"user": ["This person is already on the crew."]}
    if incident.crew.filter(user=user).exists():
        raise ValidationError(already_on_crew)
    member = CrewMember(incident=incident, user=user, role=role, added_by=actor)
    member.full_clean()
    with unique_or(already_on_crew):  # the same person added twice at the same moment
        member.save()
    audit.record(
        "incident.crew_added",
        actor=actor,
        target=incident,
        data={"user": user.get_username(), "role": role},
    )
    if user.pk != actor.pk:
        _notify(
            recipients=[user],
            incident=incident,
            event="incident.crew_added",
            message="incident_crew_added",
            actor=actor.get_username(),
            role=member.get_role_display(),
        )
    return member


@transaction.atomic
def crew_remove(*, member: CrewMember, actor) -> None:
    incident = member.incident
    if not crew_manageable_by(user=actor, incident=incident):
        raise PermissionDenied("Only leads and the incident commander manage the crew.")
    username = member.user.get_username()
    member.delete()
    audit.record("incident.crew_removed", actor=actor, target=incident, data={"user": username})


# --- The post-incident review ------------------------------------------------------

# Fields of an action item that may change, and which of them its owner (without the
# right to edit the review) and anyone after completion may still change: a completed
# review is read-only, but the work it decided on goes on and is tracked.
ACTION_ITEM_FIELDS = ("status", "owner", "due_date", "ticket_url")
ACTION_ITEM_OWNER_FIELDS = ("status",)
ACTION_ITEM_FIELDS_AFTER_COMPLETION = ("status", "ticket_url")
REQUIRED_FOR_COMPLETION = (ReviewSectionKind.SUMMARY, ReviewSectionKind.ROOT_CAUSE)


def may_edit_review(user, incident: Incident) -> bool:
    """People who may change the incident (incidents.change_incident) and see it."""
    return (
        user is not None
        and user.is_active
        and user.has_perm("incidents.change_incident")
        and may_see(user, incident)
    )


def _require_review_editor(actor, incident: Incident) -> None:
    if not may_edit_review(actor, incident):
        raise PermissionDenied("Only people who may change this incident edit its review.")


def _locked_review(review_id: int) -> PostIncidentReview:
    return PostIncidentReview.objects.select_for_update(no_key=True, of=("self",)).get(pk=review_id)


def _require_draft(review: PostIncidentReview) -> None:
    if review.is_completed:
        raise ValidationError("This review is completed and read-only; reopen it to change it.")


def _timeline_text(incident: Incident) -> str:
    """One line per timeline entry: UTC time, kind, text."""
    entries = TimelineEntry.objects.filter(incident=incident).order_by("occurred_at", "id")
    return "\n".join(
        f"{utc_text(entry.occurred_at)} \u2014 {entry.get_kind_display()} \u2014 "
        f"{' '.join(entry.body.split())}"
        for entry in entries
    )


def _detection_text(incident: Incident) -> str:
    """How the incident was discovered and how long each phase took, as far as known."""
    lines = [f"How it was discovered: {incident.discovery_method.strip() or 'not recorded'}"]
    times = [
        ("Occurred", incident.occurred_at),
        ("Discovered", incident.discovered_at),
        ("Aware", incident.aware_at),
        ("Contained", incident.contained_at),
        ("Resolved", incident.resolved_at),
    ]
    lines += [f"{label}: {utc_text(moment, empty='not known')}" for label, moment in times]
    phases = [
        ("Occurred \u2192 discovered", incident.occurred_at, incident.discovered_at),
        ("Discovered \u2192 aware", incident.discovered_at, incident.aware_at),
        ("Aware \u2192 contained", incident.aware_at, incident.contained_at),
        ("Aware \u2192 resolved", incident.aware_at, incident.resolved_at),
    ]
    for label, start, end in phases:
        known = start is not None and end is not None
        lines.append(f"{label}: {duration_text(end - start) if known else 'not known yet'}")
    return "\n".join(lines)


@transaction.atomic
def review_start(*, incident: Incident, actor) -> PostIncidentReview:
    """Create the incident's review with every section; the timeline and detection
    sections are prefilled from the incident. Idempotent: an existing review is kept."""
    _require(actor, "incidents.change_incident", incident=incident)
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    existing = PostIncidentReview.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    review = PostIncidentReview(incident=incident, created_by=actor)
    review.full_clean()
    review.save()
    prefilled = {
        ReviewSectionKind.TIMELINE: _timeline_text(incident),
        ReviewSectionKind.DETECTION: _detection_text(incident),
    }
    for position, kind in enumerate(ReviewSectionKind):
        # One save per section (not bulk_create): the audit log captures each write.
        section = ReviewSection(
            review=review, kind=kind, position=position, body=prefilled.get(kind, "")
        )
        section.full_clean()
        section.save()
    audit.record("review.started", actor=actor, target=incident, data={"review": review.pk})
    return review


@transaction.atomic
def review_section_update(*, section: ReviewSection, actor, body: str) -> ReviewSection:
    incident = section.review.incident
    _require_review_editor(actor, incident)
    _require_draft(_locked_review(section.review_id))
    section = ReviewSection.objects.select_for_update(no_key=True, of=("self",)).get(pk=section.pk)
    if section.body == body:
        return section
    section.body = body
    section.updated_at = timezone.now()
    section.updated_by = actor
    section.full_clean()
    section.save()
    audit.record(
        "review.section_updated", actor=actor, target=incident, data={"section": section.kind}
    )
    return section


@transaction.atomic
def finding_add(*, section: ReviewSection, actor, body: str) -> Finding:
    incident = section.review.incident
    _require_review_editor(actor, incident)
    _require_draft(_locked_review(section.review_id))
    finding = Finding(section=section, body=body.strip(), created_by=actor)
    finding.full_clean()
    finding.save()
    audit.record(
        "review.finding_added",
        actor=actor,
        target=incident,
        data={"section": section.kind, "finding": finding.pk},
    )
    return finding


def _check_owner(owner, incident: Incident) -> None:
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": ["Choose an active person as the owner."]})
    if not reads_reviews(owner) or not may_see(owner, incident):
        raise ValidationError(
            {"owner": ["The owner must be a CSIRT member who can see this incident."]}
        )


def _notify_action_item_owner(item: ActionItem, actor) -> None:
    if item.owner_id == actor.pk:
        return
    _notify(
        recipients=[item.owner],
        incident=item.incident,
        event="review.action_item_assigned",
        message="review_action_item_assigned",
        link=absolute_url("incidents:review", item.incident_id),
        actor=actor.get_username(),
        item=item,
    )


@transaction.atomic
def action_item_add(
    *, section: ReviewSection, actor, title: str, owner, due_date, ticket_url: str = ""
) -> ActionItem:
    """An action item with an owner and a due date (both required: an item nobody owns
    or nobody dates is not tracked, so review_complete need not check for them)."""
    incident = section.review.incident
    _require_review_editor(actor, incident)
    _require_draft(_locked_review(section.review_id))
    _check_owner(owner, incident)
    item = ActionItem(
        section=section,
        incident=incident,
        title=title.strip(),
        owner=owner,
        due_date=due_date,
        ticket_url=ticket_url.strip(),
        created_by=actor,
    )
    item.full_clean()
    item.save()
    audit.record(
        "review.action_item_added",
        actor=actor,
        target=incident,
        data={
            "item": item.pk,
            "section": section.kind,
            "title": item.title,
            "owner": owner.get_username(),
            "due_date": item.due_date.isoformat(),
        },
    )
    _notify_action_item_owner(item, actor)
    return item


def _audit_value(value):
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def action_item_update(*, item: ActionItem, actor, **fields) -> ActionItem:
    """Change an action item's status, owner, due date or ticket link.

    Review editors change any of them; the item's owner changes its status. On a
    completed review only the status and the ticket link still change (the work goes
    on after the review). Closing (done, won't do) sets closed_at; reopening clears it.
    """
    unknown = set(fields) - set(ACTION_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"action_item_update() takes only {', '.join(ACTION_ITEM_FIELDS)}")
    item = (
        ActionItem.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident", "owner", "section")
        .get(pk=item.pk)
    )
    incident = item.incident
    if not may_edit_review(actor, incident):
        is_owner = (
            actor is not None
            and actor.is_active
            and actor.pk == item.owner_id
            and may_see(actor, incident)
        )
        if not is_owner or set(fields) - set(ACTION_ITEM_OWNER_FIELDS):
            raise PermissionDenied(
                "Only people who may change this incident, or the item's owner for its "
                "status, change an action item."
            )
    review = _locked_review(item.section.review_id)
    if review.is_completed and set(fields) - set(ACTION_ITEM_FIELDS_AFTER_COMPLETION):
        raise ValidationError(
            "This review is completed: only an action item's status and ticket link still "
            "change; reopen the review to change the rest."
        )
    if "owner" in fields and fields["owner"] != item.owner:
        _check_owner(fields["owner"], incident)
    if "ticket_url" in fields:
        fields["ticket_url"] = (fields["ticket_url"] or "").strip()
    changes = {
        name: [_audit_value(getattr(item, name)), _audit_value(value)]
        for name, value in fields.items()
        if getattr(item, name) != value
    }
    if not changes:
        return item
    previous_owner_id = item.owner_id
    for name, value in fields.items():
        setattr(item, name, value)
    if item.status in CLOSED_ACTION_ITEM_STATUSES:
        item.closed_at = item.closed_at or timezone.now()
    else:
        item.closed_at = None
    item.full_clean(exclude=untouched_ruled_fields(item, changes))
    item.save()
    audit.record(
        "review.action_item_updated",
        actor=actor,
        target=incident,
        data={"item": item.pk, "title": item.title, "changes": changes},
    )
    if item.owner_id != previous_owner_id:
        _notify_action_item_owner(item, actor)
    return item


@transaction.atomic
def review_complete(*, review: PostIncidentReview, actor) -> PostIncidentReview:
    """Mark the review completed (then read-only). Needs a summary and a root cause.

    Every action item has an owner and a due date by construction (action_item_add),
    so open items do not stop completion: they stay on the tracker.
    """
    incident = review.incident
    _require_review_editor(actor, incident)
    review = _locked_review(review.pk)
    if review.is_completed:
        raise ValidationError("This review is already completed.")
    bodies = dict(review.sections.values_list("kind", "body"))
    missing = {
        kind.value: [f"Write the {kind.label.lower()} before completing the review."]
        for kind in REQUIRED_FOR_COMPLETION
        if not (bodies.get(kind) or "").strip()
    }
    if missing:
        raise ValidationError(missing)
    review.status = ReviewStatus.COMPLETED
    review.completed_at = timezone.now()
    review.completed_by = actor
    review.full_clean()
    review.save()
    open_items = ActionItem.objects.filter(
        section__review=review, status__in=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS]
    ).count()
    audit.record(
        "review.completed",
        actor=actor,
        target=incident,
        data={"review": review.pk, "open_action_items": open_items},
    )
    return review


@transaction.atomic
def review_reopen(*, review: PostIncidentReview, actor) -> PostIncidentReview:
    """Make a completed review editable again. Refused while the incident is closed and
    its severity needs a completed review (reopen the incident first)."""
    incident = review.incident
    _require_review_editor(actor, incident)
    # Lock order: incident, then review (as closing does), so the two cannot cross.
    incident = Incident.objects.select_for_update(no_key=True, of=("self",)).get(pk=incident.pk)
    review = _locked_review(review.pk)
    if not review.is_completed:
        raise ValidationError("This review is not completed.")
    if incident.status == Status.CLOSED and review_required(incident):
        raise ValidationError(
            f"{incident.reference} is closed and its severity needs a completed review: "
            "move the incident back to review first."
        )
    review.status = ReviewStatus.DRAFT
    review.completed_at = None
    review.completed_by = None
    review.full_clean()
    review.save()
    audit.record("review.reopened", actor=actor, target=incident, data={"review": review.pk})
    return review
