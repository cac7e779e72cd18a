"""The post-incident review: sections, findings, action items, completing it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.formatting import duration_text, utc_text
from core.validation import untouched_ruled_fields
from incidents.lifecycle import Status
from incidents.models import (
    CLOSED_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    Finding,
    Incident,
    PostIncidentReview,
    ReviewSection,
    ReviewSectionKind,
    ReviewStatus,
    TimelineEntry,
)
from incidents.selectors import (
    may_see,
    reads_reviews,
)
from incidents.services.common import _notify, _require
from notifications.messages import absolute_url

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
        took = end - start if start is not None and end is not None else None
        lines.append(f"{label}: {duration_text(took, empty='not known yet')}")
    return "\n".join(lines)


def review_required(incident: Incident) -> bool:
    """Whether closing `incident` needs a completed review (REVIEW_REQUIRED_SEVERITIES)."""
    return incident.severity in settings.REVIEW_REQUIRED_SEVERITIES


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
    prefilled: dict[str, str] = {
        ReviewSectionKind.TIMELINE.value: _timeline_text(incident),
        ReviewSectionKind.DETECTION.value: _detection_text(incident),
    }
    for position, (kind, title, guidance) in enumerate(review_sections_for(incident)):
        # One save per section (not bulk_create): the audit log captures each write.
        section = ReviewSection(
            review=review,
            kind=kind,
            title=title,
            guidance_text=guidance,
            position=position,
            body=prefilled.get(kind, ""),
        )
        section.full_clean()
        section.save()
    audit.record("review.started", actor=actor, target=incident, data={"review": review.pk})
    return review


# Every review has these; a typed incident's review adds its type's sections after them,
# an untyped one every question of ReviewSectionKind (the source article's six included).
GENERAL_SECTIONS = (
    ReviewSectionKind.SUMMARY,
    ReviewSectionKind.TIMELINE,
    ReviewSectionKind.DETECTION,
    ReviewSectionKind.ROOT_CAUSE,
    ReviewSectionKind.WENT_WELL,
)


def review_sections_for(incident: Incident) -> list[tuple[str, str, str]]:
    """(kind, title, guidance) of each section the incident's review gets, in order. A
    type's section with a ReviewSectionKind key keeps that kind's own title and guidance
    unless the type gives its own."""
    if incident.incident_type is None:
        return [(kind.value, "", "") for kind in ReviewSectionKind]
    sections = [(kind.value, "", "") for kind in GENERAL_SECTIONS]
    taken = {kind for kind, _, _ in sections}
    for item in incident.incident_type.review_sections:
        if item["key"] in taken:
            continue
        taken.add(item["key"])
        builtin = item["key"] in ReviewSectionKind.values
        title = (
            ""
            if builtin and item["title"] == ReviewSectionKind(item["key"]).label
            else item["title"]
        )
        guidance = item.get("guidance", "") if not builtin or item.get("guidance") else ""
        sections.append((item["key"], title, guidance))
    return sections


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
