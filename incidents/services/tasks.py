"""Tasks of an incident: add, edit, reassign, move along todo → in_progress → done (or
skipped, with a reason), comment, delete with a reason. The crew (change_incident)
manage tasks; a task's assignee may move it and comment on it while they see the
incident."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from core.text import clean_multiline_text
from incidents.models import Incident, Task, TaskComment, TaskStatus
from incidents.selectors import may_see, people_who_see
from incidents.services.common import _notify, _require, _require_open

TASK_EDITABLE_FIELDS = ("title", "description", "due_date")


def _require_task_worker(actor, task: Task) -> None:
    """The crew, or the task's own assignee (who must still see the incident)."""
    if task.assignee_id is not None and actor.pk == task.assignee_id:
        if not may_see(actor, task.incident):
            raise PermissionDenied("You may not see this incident.")
        return
    _require(actor, "incidents.change_incident", incident=task.incident)


def _check_assignee(incident: Incident, assignee) -> None:
    if assignee is not None and not people_who_see(incident).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": ["This person cannot see the incident."]})


def _tell_assignee(task: Task, actor) -> None:
    if task.assignee is not None and task.assignee.pk != actor.pk:
        _notify(
            recipients=[task.assignee],
            incident=task.incident,
            event="incident.task_assigned",
            message="incident_task_assigned",
            actor=actor.get_username(),
            task=task,
        )


def _locked(task: Task) -> Task:
    return (
        Task.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident", "assignee")
        .get(pk=task.pk)
    )


@transaction.atomic
def task_add(
    *,
    incident: Incident,
    actor,
    title: str,
    assignee=None,
    due_date=None,
    description: str = "",
) -> Task:
    _require(actor, "incidents.change_incident", incident=incident)
    _require_open(incident)
    task = Task(
        incident=incident,
        title=title,
        description=description,
        assignee=assignee,
        due_date=due_date,
        created_by=actor,
    )
    task.full_clean()
    task.save()
    audit.record("incident.task_added", actor=actor, target=incident, data={"task": title})
    _tell_assignee(task, actor)
    return task


@transaction.atomic
def task_update(*, task: Task, actor, **fields) -> Task:
    """Change a task's title, description or due date."""
    _require(actor, "incidents.change_incident", incident=task.incident)
    _require_open(task.incident)
    unknown = set(fields) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"task_update() takes only {', '.join(TASK_EDITABLE_FIELDS)}")
    task = _locked(task)
    changed = {name: value for name, value in fields.items() if getattr(task, name) != value}
    if not changed:
        return task
    for name, value in changed.items():
        setattr(task, name, value)
    if "due_date" in changed:
        task.due_at = None  # a date set by hand replaces the playbook's due time
    exclude = [] if "due_date" in changed else ["due_date"]
    task.full_clean(exclude=exclude)
    task.save()
    audit.record(
        "incident.task_updated",
        actor=actor,
        target=task.incident,
        data={"task": task.pk, "fields": sorted(changed)},
    )
    return task


@transaction.atomic
def task_reassign(*, task: Task, actor, assignee) -> Task:
    _require(actor, "incidents.change_incident", incident=task.incident)
    _require_open(task.incident)
    task = _locked(task)
    _check_assignee(task.incident, assignee)
    if task.assignee_id == (assignee.pk if assignee else None):
        return task
    previous = task.assignee.get_username() if task.assignee else None
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    audit.record(
        "incident.task_reassigned",
        actor=actor,
        target=task.incident,
        data={
            "task": task.pk,
            "from": previous,
            "to": assignee.get_username() if assignee else None,
        },
    )
    _tell_assignee(task, actor)
    return task


@transaction.atomic
def task_change_status(*, task: Task, actor, status: str, reason: str = "") -> Task:
    """Any status to any other; `skipped` needs a reason (kept on the task)."""
    _require_task_worker(actor, task)
    _require_open(task.incident)
    if status not in TaskStatus.values:
        raise ValidationError({"status": [f"Choose one of {', '.join(TaskStatus.values)}."]})
    reason = clean_multiline_text(reason, field="reason")
    if status == TaskStatus.SKIPPED and not reason.strip():
        raise ValidationError({"reason": ["Say why the task is skipped."]})
    task = _locked(task)
    if task.status == status and (status != TaskStatus.SKIPPED or task.skip_reason == reason):
        return task
    previous = task.status
    task.status = status
    task.skip_reason = reason.strip() if status == TaskStatus.SKIPPED else ""
    task.done = status == TaskStatus.DONE
    task.done_at = timezone.now() if task.done else None
    task.save(update_fields=["status", "skip_reason", "done", "done_at"])
    audit.record(
        "incident.task_status_changed",
        actor=actor,
        target=task.incident,
        data={"task": task.pk, "from": previous, "to": status, "reason": task.skip_reason},
    )
    return task


def task_set_done(*, task: Task, actor, done: bool) -> Task:
    """The list's quick toggle: done, or back to todo."""
    return task_change_status(
        task=task, actor=actor, status=TaskStatus.DONE if done else TaskStatus.TODO
    )


@transaction.atomic
def task_delete(*, task: Task, actor, reason: str) -> None:
    """Delete a task that should not exist; the reason stays in the audit log."""
    _require(actor, "incidents.change_incident", incident=task.incident)
    _require_open(task.incident)
    reason = clean_multiline_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the task is deleted."]})
    incident, title, pk = task.incident, task.title, task.pk
    task.delete()
    audit.record(
        "incident.task_deleted",
        actor=actor,
        target=incident,
        data={"task": pk, "title": title, "reason": reason.strip()},
    )


@transaction.atomic
def task_comment_add(*, task: Task, actor, body: str) -> TaskComment:
    _require_task_worker(actor, task)
    _require_open(task.incident)
    comment = TaskComment(task=task, author=actor, body=body)
    comment.full_clean()
    comment.save()
    audit.record(
        "incident.task_commented", actor=actor, target=task.incident, data={"task": task.pk}
    )
    return comment
