"""The detail page's writes. Each is a POST to its own URL that calls one service.

The disclosure is looked up through the need-to-know gate (404 when out of sight).
Every write goes through core.views.form_post: success redirects back to the page with
a message; a refusal shows the page again with the service's message: 409 for a move
the lifecycle does not allow, 403 for an approval this person may not give, 422 for a
form to correct. Approving and publishing need a fresh step-up
(accounts.twofactor.step_up_required).
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.twofactor import PendingAction, step_up_required
from core.forms import Form
from core.views import form_post, login_required
from disclosures import forms, selectors, services
from disclosures.lifecycle import DisclosureStatus
from disclosures.views.common import render_detail


def _post(request, disclosure, form, write, *, notice, bound_name=None):
    """form_post for the disclosure page. `notice` is the success message, or a callable
    of the service's result that returns it. A refusal shows the page again: with the
    form bound under `bound_name` (its errors in place), or, for a form that is only a
    button, with the message at the top."""

    def succeeded(result):
        messages.success(request, notice(result) if callable(notice) else notice)
        return redirect("disclosures:detail", pk=disclosure.pk)

    def refused(status):
        if bound_name:
            return render_detail(request, disclosure, status=status, bound={bound_name: form})
        found = [str(error) for errors in form.errors.values() for error in errors]
        return render_detail(request, disclosure, status=status, error=found)

    return form_post(form, write, succeeded=succeeded, refused=refused)


@login_required
@require_POST
def disclosure_edit(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    status_before = disclosure.status
    number_before = disclosure.current_version.number

    def edited(version):
        if version.number == number_before:
            return "Nothing changed: no new version."
        notice = f"Saved as version {version.number}."
        if status_before != DisclosureStatus.DRAFT:
            notice += " It is a draft again: earlier approvals no longer count."
        return notice

    return _post(
        request,
        disclosure,
        forms.EditForm(request.POST),
        lambda data: services.disclosure_edit(
            disclosure=disclosure, actor=request.user, body=data["body"]
        ),
        notice=edited,
        bound_name="edit",
    )


@login_required
@require_POST
def disclosure_submit(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    return _post(
        request,
        disclosure,
        Form(request.POST),
        lambda _: services.disclosure_submit(disclosure=disclosure, actor=request.user),
        notice="Submitted for approval.",
    )


# The controls the detail page offers ready after a step-up (`?ready=<key>`).
READY_APPROVE = "approve"
READY_PUBLISH = "publish"


def _notice_name(disclosure) -> str:
    """ "the regulator notice (INC-2026-0001)": what the step-up page names."""
    audience = disclosure.get_audience_display().split(" (")[0].lower()
    return f"the {audience} notice ({disclosure.incident.reference})"


def _approve_action(request, disclosure) -> PendingAction:
    number = disclosure.require_current_version().number
    return PendingAction(
        label=f"Approve version {number} of {_notice_name(disclosure)}",
        page=reverse("disclosures:detail", args=[disclosure.pk]),
        ready=READY_APPROVE,
    )


def _publish_action(request, disclosure) -> PendingAction:
    number = disclosure.require_current_version().number
    return PendingAction(
        label=f"Record the publication of version {number} of {_notice_name(disclosure)}",
        page=reverse("disclosures:detail", args=[disclosure.pk]),
        ready=READY_PUBLISH,
    )


@login_required
@require_POST
def disclosure_approve(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)  # 404 before a step-up
    return _approve_after_step_up(request, disclosure)


@step_up_required(action=_approve_action)
def _approve_after_step_up(request, disclosure):
    return _post(
        request,
        disclosure,
        forms.ApproveForm(request.POST),
        lambda data: services.disclosure_approve(
            disclosure=disclosure, actor=request.user, sha256=data["sha256"] or None
        ),
        notice="You approved this version.",
    )


@login_required
@require_POST
def disclosure_publish(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)  # 404 before a step-up
    return _publish_after_step_up(request, disclosure)


@step_up_required(action=_publish_action)
def _publish_after_step_up(request, disclosure):
    return _post(
        request,
        disclosure,
        forms.PublishForm(request.POST),
        lambda data: services.disclosure_publish(disclosure=disclosure, actor=request.user, **data),
        notice="Publication recorded. The text is frozen.",
        bound_name="publish",
    )


@login_required
@require_POST
def disclosure_withdraw(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    return _post(
        request,
        disclosure,
        forms.WithdrawForm(request.POST),
        lambda data: services.disclosure_withdraw(
            disclosure=disclosure, actor=request.user, reason=data["reason"]
        ),
        notice="The disclosure was withdrawn.",
    )


@login_required
@require_POST
def disclosure_materiality(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    return _post(
        request,
        disclosure,
        forms.MaterialityForm(request.POST),
        lambda data: services.disclosure_record_materiality(
            disclosure=disclosure,
            actor=request.user,
            determined_at=data["materiality_determined_at"],
        ),
        notice="Materiality determination recorded; the SEC clock runs from it.",
        bound_name="materiality",
    )
