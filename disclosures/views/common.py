"""What the disclosure pages share: who may do what, the countdowns, the detail context."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.utils import timezone

from accounts.twofactor import ready_action
from core.formatting import duration_text
from disclosures import forms, regimes, selectors, services
from disclosures.deadlines import Deadline
from disclosures.lifecycle import EDITABLE, DisclosureStatus, may_become
from disclosures.models import Disclosure


@dataclass(frozen=True)
class Abilities:
    """Which forms the page offers. The services enforce the same rules on write."""

    edit: bool
    submit: bool
    approve: bool
    publish: bool
    withdraw: bool

    @classmethod
    def of(cls, user, disclosure: Disclosure) -> Abilities:
        changes = user.has_perm("disclosures.change_disclosure")
        status = disclosure.status
        may_approve = user.has_perm("disclosures.approve_disclosure") or user.has_perm(
            "disclosures.approve_disclosure_legal"
        )
        return cls(
            edit=changes and status in EDITABLE,
            submit=changes and may_become(status, DisclosureStatus.IN_REVIEW),
            approve=may_approve and status == DisclosureStatus.IN_REVIEW,
            publish=user.has_perm("disclosures.publish_disclosure")
            and status == DisclosureStatus.APPROVED,
            withdraw=changes and may_become(status, DisclosureStatus.WITHDRAWN),
        )


def countdown(deadline: Deadline, now, *, sent_at=None) -> dict:
    """A deadline as people read it: due when, how long left (or overdue by), or elapsed.

    `sent_at` (when the notice went out) stops a clock that ran before it: the deadline
    was met ("met, sent 5 h before the deadline") or missed ("sent 3 h late"). A clock
    that starts with the publication itself (NIS2's final report, a month after the
    notification) runs on."""
    if sent_at is not None and (deadline.starts_at is None or deadline.starts_at < sent_at):
        return _stopped(deadline, sent_at)
    remaining = deadline.remaining(now)  # None when the deadline has no due time
    if remaining is None:
        elapsed = deadline.elapsed(now)
        text = f"{duration_text(elapsed)} since awareness" if elapsed is not None else ""
        return {"deadline": deadline, "state": "open", "text": text}
    if remaining.total_seconds() <= 0:
        return {
            "deadline": deadline,
            "state": "overdue",
            "text": f"overdue by {duration_text(remaining)}",
        }
    state = "soon" if remaining.total_seconds() < 24 * 3600 else "running"
    return {"deadline": deadline, "state": state, "text": f"{duration_text(remaining)} left"}


def _stopped(deadline: Deadline, sent_at) -> dict:
    stopped = {"deadline": deadline, "sent_at": sent_at}
    if deadline.due_at is None:
        after = deadline.elapsed(sent_at)
        text = f"sent {duration_text(after)} after awareness" if after is not None else "sent"
        return {**stopped, "state": "met", "text": text}
    if sent_at <= deadline.due_at:
        ahead = duration_text(deadline.due_at - sent_at)
        return {**stopped, "state": "met", "text": f"met: sent {ahead} before the deadline"}
    late = duration_text(sent_at - deadline.due_at)
    return {**stopped, "state": "late", "text": f"missed: sent {late} late"}


def sent_at(disclosure: Disclosure):
    """When the notice went out (its first publication), or None."""
    if disclosure.status != DisclosureStatus.PUBLISHED:
        return None
    published = sorted(p.published_at for p in disclosure.publications.all())
    return published[0] if published else None


def countdowns(disclosure: Disclosure, now=None) -> list[dict]:
    now = now or timezone.now()
    sent = sent_at(disclosure)
    return [
        countdown(deadline, now, sent_at=sent) for deadline in selectors.deadlines_of(disclosure)
    ]


def _publish_form(request) -> forms.PublishForm:
    """The publication form; back from the step-up it asked for, its first field is the
    `#ready` anchor, so the browser brings it into view with the focus on it."""
    form = forms.PublishForm()
    if ready_action(request) == "publish":
        form.fields["channel"].widget.attrs["id"] = "ready"
    return form


def detail_context(
    request, disclosure: Disclosure, *, bound=None, error: str | list[str] = ""
) -> dict:
    bound = bound or {}
    versions = list(selectors.versions_of(disclosure))
    by_number = {version.number: version for version in versions}
    current = disclosure.require_current_version()
    diff_form = forms.DiffForm(request.GET or None)
    older = newer = None
    if len(versions) > 1:
        wanted = diff_form.cleaned_data if diff_form.is_valid() else {}
        newer = by_number.get(wanted.get("newer") or current.number, current)
        older = by_number.get(wanted.get("older") or newer.number - 1) or versions[0]
    approvals = list(disclosure.approvals.all())
    return {
        "disclosure": disclosure,
        "incident": disclosure.incident,
        "current": current,
        "versions": versions,
        "diff": selectors.version_diff(older, newer) if older and newer else [],
        "diff_older": older,
        "diff_newer": newer,
        "checklist": regimes.checklist(disclosure.regime, current.body),
        "open_blanks": len(regimes.open_blanks(current.body)),
        "blanks": regimes.distinct_blanks(current.body),
        "countdowns": countdowns(disclosure),
        "approvals": approvals,
        "standing": selectors.standing_approvals(disclosure),
        "required_roles": services.required_approval_roles(),
        "publications": list(disclosure.publications.all()),
        "can": Abilities.of(request.user, disclosure),
        "edit_form": bound.get("edit") or forms.EditForm(initial={"body": current.body}),
        "approve_form": forms.ApproveForm(initial={"sha256": current.sha256}),
        "publish_form": bound.get("publish") or _publish_form(request),
        "withdraw_form": forms.WithdrawForm(),
        "materiality_form": bound.get("materiality")
        or forms.MaterialityForm(
            initial={"materiality_determined_at": disclosure.materiality_determined_at}
        ),
        # What a refused button-only form said, one message a line.
        "errors": [error] if isinstance(error, str) and error else list(error),
        "ready": ready_action(request),
    }


def render_detail(request, disclosure: Disclosure, *, status=200, **kwargs):
    disclosure = selectors.disclosure_get(user=request.user, pk=disclosure.pk)
    return render(
        request,
        "disclosures/detail.html",
        detail_context(request, disclosure, **kwargs),
        status=status,
    )
