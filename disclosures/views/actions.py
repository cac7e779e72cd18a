"""The detail page's writes. Each is a POST to its own URL that calls one service.

The disclosure is looked up through the need-to-know gate (404 when out of sight).
Success redirects back to the page with a message; a refusal shows the page again
with a clear message: 409 for a move the lifecycle does not allow, 403 for an
approval this person may not give, 422 for a form to correct. Approving and
publishing need a fresh step-up (accounts.twofactor.step_up_required).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.twofactor import step_up_required
from core.forms import apply_service_errors
from core.views import login_required
from disclosures import forms, selectors, services
from disclosures.lifecycle import DisclosureStatus, IllegalTransition
from disclosures.views.common import CONFLICT, UNPROCESSABLE, render_detail


def _run(request, disclosure, action, *, bound_name=None, form=None):
    """Call `action()`, which returns the notice to show on success; translate what the
    services refuse into the page again with a message."""
    try:
        notice = action()
    except IllegalTransition as error:
        return render_detail(request, disclosure, status=CONFLICT, error=str(error))
    except PermissionDenied as error:
        return render_detail(request, disclosure, status=403, error=str(error))
    except ValidationError as error:
        if form is None:
            message = " ".join(error.messages)
            return render_detail(request, disclosure, status=UNPROCESSABLE, error=message)
        apply_service_errors(form, error)
        return render_detail(request, disclosure, status=UNPROCESSABLE, bound={bound_name: form})
    messages.success(request, notice)
    return redirect("disclosures:detail", pk=disclosure.pk)


def _then(notice: str, call):
    def action():
        call()
        return notice

    return action


@login_required
@require_POST
def disclosure_edit(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    form = forms.EditForm(request.POST)
    if not form.is_valid():
        return render_detail(request, disclosure, status=UNPROCESSABLE, bound={"edit": form})
    status_before = disclosure.status
    number_before = disclosure.current_version.number

    def edit():
        version = services.disclosure_edit(
            disclosure=disclosure, actor=request.user, body=form.cleaned_data["body"]
        )
        if version.number == number_before:
            return "Nothing changed: no new version."
        notice = f"Saved as version {version.number}."
        if status_before != DisclosureStatus.DRAFT:
            notice += " It is a draft again: earlier approvals no longer count."
        return notice

    return _run(request, disclosure, edit, bound_name="edit", form=form)


@login_required
@require_POST
def disclosure_submit(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    return _run(
        request,
        disclosure,
        _then(
            "Submitted for approval.",
            lambda: services.disclosure_submit(disclosure=disclosure, actor=request.user),
        ),
    )


@login_required
@require_POST
@step_up_required
def disclosure_approve(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    form = forms.ApproveForm(request.POST)
    if not form.is_valid():
        return render_detail(
            request, disclosure, status=UNPROCESSABLE, error="The version's hash is malformed."
        )
    return _run(
        request,
        disclosure,
        _then(
            "You approved this version.",
            lambda: services.disclosure_approve(
                disclosure=disclosure,
                actor=request.user,
                sha256=form.cleaned_data["sha256"] or None,
            ),
        ),
    )


@login_required
@require_POST
@step_up_required
def disclosure_publish(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        return render_detail(request, disclosure, status=UNPROCESSABLE, bound={"publish": form})
    return _run(
        request,
        disclosure,
        _then(
            "Publication recorded. The text is frozen.",
            lambda: services.disclosure_publish(
                disclosure=disclosure, actor=request.user, **form.cleaned_data
            ),
        ),
        bound_name="publish",
        form=form,
    )


@login_required
@require_POST
def disclosure_withdraw(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    form = forms.WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _run(
        request,
        disclosure,
        _then(
            "The disclosure was withdrawn.",
            lambda: services.disclosure_withdraw(
                disclosure=disclosure, actor=request.user, reason=reason
            ),
        ),
    )


@login_required
@require_POST
def disclosure_materiality(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    form = forms.MaterialityForm(request.POST)
    if not form.is_valid():
        return render_detail(request, disclosure, status=UNPROCESSABLE, bound={"materiality": form})
    return _run(
        request,
        disclosure,
        _then(
            "Materiality determination recorded; the SEC clock runs from it.",
            lambda: services.disclosure_record_materiality(
                disclosure=disclosure,
                actor=request.user,
                determined_at=form.cleaned_data["materiality_determined_at"],
            ),
        ),
        bound_name="materiality",
        form=form,
    )
