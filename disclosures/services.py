"""Every write to disclosures. Each function checks that the actor may do it, moves
the disclosure along its lifecycle (disclosures.lifecycle), saves in one transaction
and records an audit event. Illegal moves raise IllegalTransition, refused
approvals ApprovalRefused (a PermissionDenied), bad input ValidationError."""

from __future__ import annotations

from string import Template

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import audit
from accounts.models import User
from accounts.roles import Role
from core.dates import event_time_error
from core.permissions import require_permission
from core.text import clean_multiline_text, clean_short_text
from disclosures import prefill, regimes
from disclosures.deadlines import deadlines_for
from disclosures.lifecycle import EDITABLE, DisclosureStatus, IllegalTransition, check_transition
from disclosures.models import (
    Approval,
    ApprovalRole,
    Audience,
    Disclosure,
    DisclosureTemplate,
    DisclosureVersion,
    Publication,
    Regime,
    body_sha256,
)
from incidents.models import Incident
from incidents.selectors import visible_incidents
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

MAX_BODY_LENGTH = 100_000
MAX_CHANNEL_LENGTH = 200
MAX_RECIPIENTS_LENGTH = 10_000
# Notices whose law asks for the reasons of a delay when they go out late (GDPR Art. 33(1)).
LATE_REASON_REGIMES = frozenset({Regime.GDPR_ART33})


class ApprovalRefused(PermissionDenied):
    """This person may not approve this disclosure (role, or four eyes)."""


class VersionChanged(IllegalTransition):
    """The text changed since the approver read it: approve what is there now, or nothing."""


def _locked(disclosure: Disclosure) -> Disclosure:
    return (
        Disclosure.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident", "current_version")
        .get(pk=disclosure.pk)
    )


def _check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": ["The text cannot be empty."]})
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError({"body": [f"At most {MAX_BODY_LENGTH} characters."]})
    return body.replace("\r\n", "\n")


def _check_event_time(name: str, moment) -> None:
    """The shared range of times that happened (core.dates), checked before anything
    is computed from the time (deadlines of year 0001 overflow)."""
    message = event_time_error(moment)
    if message:
        raise ValidationError({name: [message]})


def _require_no_blanks(version: DisclosureVersion, *, step: str) -> None:
    """Nothing goes for approval, is approved or is recorded as published while the text
    still has a [TO BE CONFIRMED: …] blank: a notice never asserts a placeholder. The
    refusal (a ValidationError on `body`) lists every blank left."""
    blanks = regimes.distinct_blanks(version.body)
    if not blanks:
        return
    total = sum(count for _marker, count in blanks)
    summary = (
        f"Version {version.number} still has {total} blank{'s' if total != 1 else ''} "
        f"to confirm: fill in every [TO BE CONFIRMED: …] before it {step}."
    )
    listed = [f"{marker} (x{count})" if count > 1 else marker for marker, count in blanks]
    raise ValidationError({"body": [summary, *listed]})


def _write_version(disclosure: Disclosure, *, author, body: str) -> DisclosureVersion:
    number = (disclosure.current_version.number if disclosure.current_version else 0) + 1
    version = DisclosureVersion(disclosure=disclosure, number=number, body=body, author=author)
    version.save()
    disclosure.current_version = version
    return version


@transaction.atomic
def disclosure_create(
    *,
    incident: Incident,
    actor,
    audience: str,
    regime: str = Regime.NONE,
    materiality_determined_at=None,
) -> Disclosure:
    """Start a draft for one audience and regime, its text prefilled from the incident."""
    require_permission(actor, "disclosures.add_disclosure")
    if not visible_incidents(actor).filter(pk=incident.pk).exists():
        raise PermissionDenied("This incident is out of your sight.")
    if audience not in Audience.values:
        raise ValidationError({"audience": [f"Choose one of {', '.join(Audience.values)}."]})
    if regime not in Regime.values:
        raise ValidationError({"regime": [f"Choose one of {', '.join(Regime.values)}."]})
    if refusal := regimes.audience_refusal(audience=audience, regime=regime):
        raise ValidationError({"regime": [refusal]})
    if materiality_determined_at is not None and regime != Regime.SEC_8K:
        raise ValidationError(
            {"materiality_determined_at": ["Only an SEC 8-K notice has a materiality time."]}
        )
    _check_event_time("materiality_determined_at", materiality_determined_at)
    disclosure = Disclosure(
        incident=incident,
        audience=audience,
        regime=regime,
        materiality_determined_at=materiality_determined_at,
        created_by=actor,
    )
    disclosure.full_clean(exclude=["current_version"])
    disclosure.save()
    body = prefill.prefilled_body(incident, audience=audience, regime=regime)
    version = _write_version(disclosure, author=actor, body=body)
    disclosure.save(update_fields=["current_version", "updated_at"])
    audit.record(
        "disclosure.created",
        actor=actor,
        target=disclosure,
        data={
            "incident": incident.reference,
            "audience": audience,
            "regime": regime,
            "version": version.number,
            "sha256": version.sha256,
        },
    )
    return disclosure


def _void_approvals(disclosure: Disclosure, *, reason: str) -> int:
    voided = 0
    for approval in Approval.objects.filter(disclosure=disclosure, voided_at__isnull=True):
        approval.voided_at = timezone.now()
        approval.void_reason = reason
        approval.save(update_fields=["voided_at", "void_reason"])
        voided += 1
    return voided


@transaction.atomic
def disclosure_edit(*, disclosure: Disclosure, actor, body: str) -> DisclosureVersion:
    """Write a new version. After submission or approval, the disclosure returns to
    `draft` and every approval is voided: approval is of one exact text."""
    require_permission(actor, "disclosures.change_disclosure")
    body = _check_body(body)
    disclosure = _locked(disclosure)
    if disclosure.status not in EDITABLE:
        raise IllegalTransition(
            f"A {disclosure.get_status_display().lower()} disclosure is frozen; "
            "its text can no longer change."
        )
    if disclosure.current_version and disclosure.current_version.sha256 == body_sha256(body):
        return disclosure.current_version
    previous_status = disclosure.status
    voided = 0
    if previous_status != DisclosureStatus.DRAFT:
        check_transition(previous_status, DisclosureStatus.DRAFT)
        voided = _void_approvals(disclosure, reason="The text was edited.")
        disclosure.status = DisclosureStatus.DRAFT
    version = _write_version(disclosure, author=actor, body=body)
    disclosure.save(update_fields=["current_version", "status", "updated_at"])
    audit.record(
        "disclosure.edited",
        actor=actor,
        target=disclosure,
        data={
            "version": version.number,
            "sha256": version.sha256,
            "from_status": previous_status,
            "status": disclosure.status,
            "approvals_voided": voided,
        },
    )
    return version


@transaction.atomic
def disclosure_submit(*, disclosure: Disclosure, actor) -> Disclosure:
    """Send the draft for approval (draft → in review); managers are told."""
    require_permission(actor, "disclosures.change_disclosure")
    disclosure = _locked(disclosure)
    check_transition(disclosure.status, DisclosureStatus.IN_REVIEW)
    _require_no_blanks(disclosure.require_current_version(), step="goes for approval")
    disclosure.status = DisclosureStatus.IN_REVIEW
    disclosure.save(update_fields=["status", "updated_at"])
    audit.record(
        "disclosure.submitted",
        actor=actor,
        target=disclosure,
        data={"version": disclosure.require_current_version().number},
    )
    notification_queue(
        recipients=_approvers_to_tell(disclosure, actor),
        message=render_message(
            "disclosure_submitted",
            {
                "actor": actor.get_username(),
                "disclosure": disclosure,
                "link": absolute_url("disclosures:detail", disclosure.pk),
            },
            incident=disclosure.incident,
        ),
        event="disclosure.submitted",
    )
    return disclosure


def _who_may_see(people, disclosure: Disclosure) -> list:
    """Of `people`, those who may see the disclosure's incident (need-to-know)."""
    incident_pk = disclosure.incident_id
    return [
        person
        for person in people.filter(is_active=True).distinct().order_by("pk")
        if visible_incidents(person).filter(pk=incident_pk).exists()
    ]


def _approvers_to_tell(disclosure: Disclosure, actor) -> list:
    """Who may approve the submitted version: managers (and legal, when its approval is
    required) who wrote neither the disclosure nor its current version."""
    roles = [Role.MANAGER] + ([Role.LEGAL] if settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL else [])
    writers = {actor.pk, disclosure.created_by_id, disclosure.require_current_version().author_id}
    return _who_may_see(
        User.objects.filter(groups__name__in=roles).exclude(pk__in=writers - {None}), disclosure
    )


def _notify_author_and_crew(disclosure: Disclosure, actor, *, event: str, message: str) -> None:
    """The disclosure's author and the incident's crew hear that it was approved or went out."""
    incident = disclosure.incident
    people = User.objects.filter(
        Q(pk=disclosure.created_by_id) | Q(crew_memberships__incident=incident)
    ).exclude(pk=actor.pk)
    notification_queue(
        recipients=_who_may_see(people, disclosure),
        message=render_message(
            message,
            {
                "actor": actor.get_username(),
                "disclosure": disclosure,
                "version": disclosure.require_current_version().number,
                "link": absolute_url("disclosures:detail", disclosure.pk),
            },
            incident=incident,
        ),
        event=event,
    )


def approval_role_of(actor) -> str:
    """The role `actor` approves disclosures in (manager; legal too where legal approval
    is required), or ApprovalRefused: the one statement of who may approve."""
    if actor.has_role(Role.MANAGER) and actor.has_perm("disclosures.approve_disclosure"):
        return ApprovalRole.MANAGER
    if (
        settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL
        and actor.has_role(Role.LEGAL)
        and actor.has_perm("disclosures.approve_disclosure_legal")
    ):
        return ApprovalRole.LEGAL
    raise ApprovalRefused("Only a manager can approve a disclosure.")


def required_approval_roles() -> tuple[str, ...]:
    if settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL:
        return (ApprovalRole.MANAGER, ApprovalRole.LEGAL)
    return (ApprovalRole.MANAGER,)


@transaction.atomic
def disclosure_approve(*, disclosure: Disclosure, actor, sha256: str | None = None) -> Approval:
    """Approve the exact current version (by its hash). Four eyes: the approver is neither
    the author of the disclosure nor the author of its current version.

    The disclosure row is locked first, so of two simultaneous approvals one waits and
    then finds the decision already made: only one can count.
    """
    if actor is None or not actor.is_active:
        raise ApprovalRefused("Only a manager can approve a disclosure.")
    role = approval_role_of(actor)
    disclosure = _locked(disclosure)
    check_transition(disclosure.status, DisclosureStatus.APPROVED)
    version = disclosure.require_current_version()
    if actor.pk in (disclosure.created_by_id, version.author_id):
        raise ApprovalRefused(
            "You wrote this disclosure or its latest version: someone else must approve it."
        )
    if sha256 and sha256 != version.sha256:
        raise VersionChanged(
            "The text changed since you opened it. Read the current version and approve that."
        )
    _require_no_blanks(version, step="can be approved")
    standing = Approval.objects.filter(version=version, voided_at__isnull=True)
    if standing.filter(role=role).exists():
        raise IllegalTransition(f"This version already has a {role} approval.")
    approval = Approval(
        disclosure=disclosure,
        version=version,
        approver=actor,
        role=role,
        body_sha256=version.sha256,
    )
    try:
        with transaction.atomic():
            approval.save()
    except IntegrityError as error:
        raise IllegalTransition(f"This version already has a {role} approval.") from error
    approved_roles = set(standing.values_list("role", flat=True))
    if approved_roles.issuperset(required_approval_roles()):
        disclosure.status = DisclosureStatus.APPROVED
        disclosure.save(update_fields=["status", "updated_at"])
    audit.record(
        "disclosure.approved",
        actor=actor,
        target=disclosure,
        data={
            "version": version.number,
            "sha256": version.sha256,
            "role": role,
            "status": disclosure.status,
        },
    )
    if disclosure.status == DisclosureStatus.APPROVED:
        _notify_author_and_crew(
            disclosure, actor, event="disclosure.approved", message="disclosure_approved"
        )
    return approval


@transaction.atomic
def disclosure_publish(
    *, disclosure: Disclosure, actor, channel: str, recipients: str, late_reason: str = ""
) -> Publication:
    """Record that the approved version went out. The text is frozen from now on.

    A GDPR Art. 33 notice after its 72 hours needs the reasons for the delay.
    """
    require_permission(actor, "disclosures.publish_disclosure")
    # The channel is one line: it is written into the header of every export.
    channel = clean_short_text(channel, field="channel", max_length=MAX_CHANNEL_LENGTH)
    recipients = clean_multiline_text(
        recipients, field="recipients", required=True, max_length=MAX_RECIPIENTS_LENGTH
    ).strip()
    late_reason = clean_multiline_text(late_reason, field="late_reason").strip()
    disclosure = _locked(disclosure)
    check_transition(disclosure.status, DisclosureStatus.PUBLISHED)
    version = disclosure.require_current_version()
    approved = set(
        Approval.objects.filter(
            version=version, voided_at__isnull=True, body_sha256=version.sha256
        ).values_list("role", flat=True)
    )
    if not approved.issuperset(required_approval_roles()):
        raise IllegalTransition("The current version is not approved.")
    _require_no_blanks(version, step="is recorded as published")
    now = timezone.now()
    if disclosure.regime in LATE_REASON_REGIMES:
        overdue = [
            d
            for d in deadlines_for(regime=disclosure.regime, aware_at=disclosure.incident.aware_at)
            if d.is_overdue(now)
        ]
        if overdue and not late_reason:
            message = f"{overdue[0].label} has passed: give the reasons for the delay."
            raise ValidationError({"late_reason": [message]})
    publication = Publication(
        disclosure=disclosure,
        version=version,
        body_sha256=version.sha256,
        channel=channel,
        recipients=recipients,
        published_by=actor,
        published_at=now,
    )
    publication.full_clean()
    publication.save()
    disclosure.status = DisclosureStatus.PUBLISHED
    if late_reason:
        disclosure.late_reason = late_reason
    disclosure.save(update_fields=["status", "late_reason", "updated_at"])
    audit.record(
        "disclosure.published",
        actor=actor,
        target=disclosure,
        data={
            "version": version.number,
            "sha256": version.sha256,
            "channel": channel,
            "late_reason": late_reason,
        },
    )
    _notify_author_and_crew(
        disclosure, actor, event="disclosure.published", message="disclosure_published"
    )
    return publication


@transaction.atomic
def disclosure_withdraw(*, disclosure: Disclosure, actor, reason: str = "") -> Disclosure:
    """Abandon a disclosure that has not gone out (anything but published)."""
    require_permission(actor, "disclosures.change_disclosure")
    disclosure = _locked(disclosure)
    check_transition(disclosure.status, DisclosureStatus.WITHDRAWN)
    previous = disclosure.status
    _void_approvals(disclosure, reason="The disclosure was withdrawn.")
    disclosure.status = DisclosureStatus.WITHDRAWN
    disclosure.save(update_fields=["status", "updated_at"])
    audit.record(
        "disclosure.withdrawn",
        actor=actor,
        target=disclosure,
        data={"from": previous, "reason": (reason or "").strip()},
    )
    return disclosure


@transaction.atomic
def disclosure_record_materiality(*, disclosure: Disclosure, actor, determined_at) -> Disclosure:
    """Record when the incident was determined material: it starts the SEC 8-K clock."""
    require_permission(actor, "disclosures.change_disclosure")
    disclosure = _locked(disclosure)
    if disclosure.regime != Regime.SEC_8K:
        raise ValidationError(
            {"materiality_determined_at": ["Only an SEC 8-K notice has a materiality time."]}
        )
    if disclosure.status not in EDITABLE:
        raise IllegalTransition("This disclosure is final; its facts can no longer change.")
    if determined_at is None:
        raise ValidationError({"materiality_determined_at": ["This field is required."]})
    _check_event_time("materiality_determined_at", determined_at)
    previous = disclosure.materiality_determined_at
    disclosure.materiality_determined_at = determined_at
    disclosure.save(update_fields=["materiality_determined_at", "updated_at"])
    audit.record(
        "disclosure.materiality_recorded",
        actor=actor,
        target=disclosure,
        data={"from": previous, "to": determined_at},
    )
    return disclosure


@transaction.atomic
def template_save(*, actor, audience: str, regime: str, body: str) -> DisclosureTemplate:
    """Set the frame of new drafts for one audience and regime (leads)."""
    require_permission(actor, "disclosures.change_disclosuretemplate")
    body = _check_body(body)
    frame = Template(body)
    unknown = sorted(set(frame.get_identifiers()) - set(prefill.PLACEHOLDERS))
    if not frame.is_valid() or unknown:
        known = ", ".join("$" + name for name in prefill.PLACEHOLDERS)
        wrong = ", ".join("$" + name for name in unknown) or "a lone $"
        raise ValidationError({"body": [f"Unknown placeholders: {wrong}. Use {known} ($$ for $)."]})
    template, created = DisclosureTemplate.objects.get_or_create(
        audience=audience, regime=regime, defaults={"body": body, "updated_by": actor}
    )
    if not created:
        template.body = body
        template.updated_by = actor
        template.full_clean()
        template.save()
    audit.record(
        "disclosure.template_saved",
        actor=actor,
        target=template,
        data={"audience": audience, "regime": regime},
    )
    return template
