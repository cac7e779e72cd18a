"""Forms of a task's page: edit, reassign, status, comment, delete."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from core.forms import DateInput, Form
from incidents.forms.incident import MAX_REASON_LENGTH
from incidents.forms.work import AssigneeChoiceField, TaskAddForm
from incidents.models import Task, TaskStatus

MAX_COMMENT_LENGTH = 5000


class TaskEditForm(Form):
    title = forms.CharField(max_length=200, label="Task")
    description = forms.CharField(
        required=False, max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    due_date = forms.DateField(required=False, widget=DateInput, label="Due date")

    def __init__(self, *args, task: Task, **kwargs):
        kwargs.setdefault("auto_id", "id_edit_%s")
        kwargs.setdefault(
            "initial",
            {"title": task.title, "description": task.description, "due_date": task.due_date},
        )
        super().__init__(*args, **kwargs)

    def changes(self, task: Task) -> dict:
        return {
            name: value for name, value in self.cleaned_data.items() if getattr(task, name) != value
        }


class TaskReassignForm(Form):
    assignee = AssigneeChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Nobody",
    )

    def __init__(self, *args, task: Task, **kwargs):
        kwargs.setdefault("auto_id", "id_assign_%s")
        kwargs.setdefault(
            "initial", {"assignee": task.assignee.get_username() if task.assignee else ""}
        )
        super().__init__(*args, **kwargs)
        AssigneeChoiceField.of(self, "assignee").queryset = TaskAddForm.assignable(task.incident)


class TaskStatusForm(Form):
    status = forms.ChoiceField(choices=TaskStatus.choices)
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to skip a task.",
    )

    def __init__(self, *args, task: Task | None = None, **kwargs):
        kwargs.setdefault("auto_id", "id_taskstatus_%s")
        if task is not None:
            kwargs.setdefault("initial", {"status": task.status, "reason": task.skip_reason})
        super().__init__(*args, **kwargs)


class TaskCommentForm(Form):
    body = forms.CharField(
        max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)


class TaskDeleteForm(Form):
    reason = forms.CharField(
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit log.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_delete_%s")
        super().__init__(*args, **kwargs)
