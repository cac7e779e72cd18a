"""The incident itself: filing, its facts, its status along the lifecycle."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

import audit
from core.formatting import utc_text
from core.text import clean_multiline_text
from core.validation import untouched_ruled_fields
from incidents.custom_fields import clean_custom_fields
from incidents.lifecycle import ReviewRequired, Status, check_transition
from incidents.models import (
    DataCategory,
    EntryKind,
    Incident,
    IncidentType,
    PostIncidentReview,
    ReferenceCounter,
    Severity,
    TimelineEntry,
)
from incidents.selectors import (
    active_leads,
    crew_and_leads,
    crew_manageable_by,
)
from incidents.services.common import _notify, _require, _require_open
from incidents.services.review import review_required, review_start
from incidents.services.types import normalize_tags, playbook_tasks

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
    "tlp",
    "pap",
)

# Long texts: the timeline says they were edited, not what they say.
TEXTS_SAID_CHANGED = ("description", "discovery_method", "attack_vectors")

# Leads hear of every filing at these severities (incident.filed); of the rest only
# if they opted in (incident.filed_any).
LEADS_NOTIFIED_OF_FILING = (Severity.HIGH, Severity.CRITICAL)
SEVERITY_ORDER = list(Severity.values)


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
def incident_file(
    *,
    reporter,
    title: str,
    severity: str,
    incident_type: IncidentType | None = None,
    tags: list[str] | None = None,
    custom_fields: dict | None = None,
    **fields,
) -> Incident:
    """File a new incident; it starts in `new` with an opening timeline entry.

    With a type: its default TLP unless one is given, its default tags, its custom
    fields checked (errors keyed `custom_fields.<key>`), and its playbook's tasks due
    relative to aware_at."""
    _require(reporter, "incidents.add_incident")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_file() got unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("aware_at") is None:
        fields.pop("aware_at", None)
    if incident_type is not None:
        if incident_type.retired:
            raise ValidationError({"type": ["This type is retired; choose another."]})
        if not fields.get("tlp") and incident_type.default_tlp:
            fields["tlp"] = incident_type.default_tlp
        tags = [*incident_type.default_tags, *(tags or [])]
    definitions = incident_type.custom_fields if incident_type else []
    fields["custom_fields"] = clean_custom_fields(definitions, custom_fields)
    fields["tags"] = normalize_tags(tags)
    incident = Incident(
        reporter=reporter,
        title=title,
        severity=severity,
        incident_type=incident_type,
        leads_notice_owed=True,
        **fields,
    )
    incident.full_clean(exclude=["reference", "reporter", "incident_type"])  # reporter: the caller
    incident.reference = _next_reference(incident.created_at.year)
    incident.save()
    TimelineEntry.objects.create(
        incident=incident,
        kind=EntryKind.STATUS_CHANGE,
        body=f"Incident filed with severity {incident.get_severity_display().lower()}.",
        occurred_at=incident.created_at,
        author=reporter,
    )
    if incident_type is not None:
        playbook_tasks(incident, incident_type.playbook, actor=reporter)
    audit.record(
        "incident.filed",
        actor=reporter,
        target=incident,
        data={
            "reference": incident.reference,
            "severity": severity,
            "type": incident_type.key if incident_type else None,
        },
    )
    # The leads hear of it from a task once this commits (half of a filing's cost was
    # telling them); the incident owes them the notice until then.
    from incidents.tasks import incident_notify_leads

    transaction.on_commit(
        partial(incident_notify_leads.delay, incident_id=incident.pk), robust=True
    )
    return incident


@transaction.atomic
def incident_notify_leads_of_filing(*, incident_id: int) -> bool:
    """Tell the leads of a filing the incident still owes them (once: the row is locked
    and the debt cleared in the same transaction). False when nothing was owed."""
    incident = (
        Incident.objects.select_for_update(no_key=True, of=("self",))
        .select_related("reporter")
        .filter(pk=incident_id, leads_notice_owed=True)
        .first()
    )
    if incident is None:
        return False
    _notify_leads_of_filing(incident)
    # Bookkeeping (AUDIT_BULK_BOOKKEEPING_FIELDS): the notices are the record of it.
    Incident.objects.filter(pk=incident.pk).update(leads_notice_owed=False)
    return True


logger = logging.getLogger(__name__)
NOTICE_GRACE_SECONDS = 30


def incidents_notify_owed(*, limit: int = 500) -> int:
    """The notices a lost task message left owing: those of incidents filed more than
    NOTICE_GRACE_SECONDS ago (their own task has had its chance). How many were sent."""
    cutoff = timezone.now() - timedelta(seconds=NOTICE_GRACE_SECONDS)
    owing = Incident.objects.filter(leads_notice_owed=True, created_at__lt=cutoff).order_by("id")
    sent = 0
    for pk in owing.values_list("id", flat=True)[:limit]:
        try:
            sent += incident_notify_leads_of_filing(incident_id=pk)
        except Exception:  # one that cannot be sent must not hold back those after it
            logger.exception("The filing notice of incident %s could not be sent", pk)
    return sent


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
    _require_open(incident)
    if "restricted" in changed and not crew_manageable_by(user=actor, incident=incident):
        # Who may see an incident is decided by those who decide its crew.
        raise PermissionDenied("Only leads and the incident commander change need-to-know.")
    previous = {name: getattr(incident, name) for name in changed}
    previous_severity = incident.severity
    for name, value in changed.items():
        setattr(incident, name, value)
    incident.full_clean(exclude=untouched_ruled_fields(incident, changed))
    incident.save()
    TimelineEntry.objects.create(
        incident=incident,
        kind=EntryKind.FACTS_CHANGE,
        body=describe_changes(previous, incident, changed),
        occurred_at=timezone.now(),
        author=actor,
    )
    audit.record("incident.updated", actor=actor, target=incident, data={"fields": sorted(changed)})
    if SEVERITY_ORDER.index(incident.severity) > SEVERITY_ORDER.index(previous_severity):
        _severity_raised(incident=incident, actor=actor, previous=previous_severity)
    return incident


def _field(name: str) -> models.Field:
    field = Incident._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column of the incident, not a relation
    return field


def _shown(name: str, value) -> str:
    """A field's value as a person reads it in the timeline."""
    if name == "data_categories":
        return ", ".join(DataCategory(item).label for item in value) or "none"
    if isinstance(value, datetime):
        return utc_text(value)
    if value is None or value == "":
        return "unknown"
    field = _field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe_changes(previous: dict, incident: Incident, changed: dict) -> str:
    """One sentence per changed fact, old and new value (long texts only say they changed)."""
    sentences = []
    for name in changed:
        label = capfirst(_field(name).verbose_name)
        if name in TEXTS_SAID_CHANGED:
            sentences.append(f"{label} edited.")
            continue
        before = _shown(name, previous[name])
        after = _shown(name, getattr(incident, name))
        sentences.append(f"{label} changed from {before} to {after}.")
    return " ".join(sentences)


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
