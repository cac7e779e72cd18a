"""A task's own page: its description, comments and status, and the crew's edits
(edit, reassign, delete with a reason). Each write is a POST to its own URL that calls
one service and comes back here (or, after a delete, to the incident's tasks)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.views import form_post, login_required
from incidents import forms, selectors, services
from incidents.views.common import detail_url, require


def _abilities(user, task) -> dict:
    manage = user.has_perm("incidents.change_incident")
    return {"manage": manage, "work": manage or task.assignee_id == user.pk}


def _page(request, task, *, bound=None, status=200):
    bound = bound or {}
    context = {
        "incident": task.incident,
        "task": task,
        "comments": task.comments.select_related("author"),
        "can": _abilities(request.user, task),
        "edit_form": bound.get("edit") or forms.TaskEditForm(task=task),
        "assign_form": bound.get("assign") or forms.TaskReassignForm(task=task),
        "status_form": bound.get("status") or forms.TaskStatusForm(task=task),
        "comment_form": bound.get("comment") or forms.TaskCommentForm(),
        "delete_form": bound.get("delete") or forms.TaskDeleteForm(),
    }
    return render(request, "incidents/task.html", context, status=status)


def _task(request, pk, task_pk):
    return selectors.task_get(user=request.user, incident_pk=pk, pk=task_pk)


def _post(request, task, name: str, form, write, notice: str):
    def succeeded(_result):
        messages.success(request, notice)
        return redirect("incidents:task", pk=task.incident_id, task_pk=task.pk)

    return form_post(
        form,
        write,
        succeeded=succeeded,
        refused=lambda status: _page(request, task, bound={name: form}, status=status),
    )


@login_required
@require_GET
def task_page(request, pk, task_pk):
    return _page(request, _task(request, pk, task_pk))


@login_required
@require_POST
def task_edit(request, pk, task_pk):
    task = _task(request, pk, task_pk)
    require(_abilities(request.user, task)["manage"])
    form = forms.TaskEditForm(request.POST, task=task)
    return _post(
        request,
        task,
        "edit",
        form,
        lambda _: services.task_update(task=task, actor=request.user, **form.changes(task)),
        "Task saved.",
    )


@login_required
@require_POST
def task_reassign(request, pk, task_pk):
    task = _task(request, pk, task_pk)
    require(_abilities(request.user, task)["manage"])
    form = forms.TaskReassignForm(request.POST, task=task)
    return _post(
        request,
        task,
        "assign",
        form,
        lambda data: services.task_reassign(task=task, actor=request.user, **data),
        "Task reassigned.",
    )


@login_required
@require_POST
def task_status(request, pk, task_pk):
    task = _task(request, pk, task_pk)
    require(_abilities(request.user, task)["work"])
    form = forms.TaskStatusForm(request.POST)
    return _post(
        request,
        task,
        "status",
        form,
        lambda data: services.task_change_status(task=task, actor=request.user, **data),
        "Status changed.",
    )


@login_required
@require_POST
def task_comment(request, pk, task_pk):
    task = _task(request, pk, task_pk)
    require(_abilities(request.user, task)["work"])
    form = forms.TaskCommentForm(request.POST)
    return _post(
        request,
        task,
        "comment",
        form,
        lambda data: services.task_comment_add(task=task, actor=request.user, **data),
        "Comment added.",
    )


@login_required
@require_POST
def task_delete(request, pk, task_pk):
    task = _task(request, pk, task_pk)
    require(_abilities(request.user, task)["manage"])
    form = forms.TaskDeleteForm(request.POST)

    def succeeded(_result):
        messages.success(request, f"Task “{task.title}” deleted.")
        return redirect(detail_url(task.incident, "tasks"))

    return form_post(
        form,
        lambda data: services.task_delete(task=task, actor=request.user, **data),
        succeeded=succeeded,
        refused=lambda status: _page(request, task, bound={"delete": form}, status=status),
    )
