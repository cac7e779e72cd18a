"""Forms of the work on an incident: affected systems, crew, tasks."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from core.forms import (
    DateInput,
    Form,
    UTCDateTimeField,
)
from incidents import selectors
from incidents.forms.incident import MAX_REASON_LENGTH
from incidents.models import (
    ContainmentState,
    CrewRole,
    Incident,
    SystemKind,
)

SYSTEM_EDITABLE_FIELDS = ("name", "kind", "owner", "impact_start", "impact_end")


class SystemAddForm(Form):
    name = forms.CharField(max_length=200, label="System name")
    kind = forms.ChoiceField(choices=SystemKind.choices, initial=SystemKind.SERVER)
    owner = forms.CharField(max_length=200, required=False, help_text="Team or person.")
    impact_start = UTCDateTimeField(required=False, label="Impact started (UTC)")
    impact_end = UTCDateTimeField(
        required=False, label="Impact ended (UTC)", help_text="Leave empty while it lasts."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_system_%s")
        super().__init__(*args, **kwargs)


class SystemEditForm(SystemAddForm):
    """A system's facts, as recorded; most often the end of its impact window."""

    def __init__(self, *args, system, **kwargs):
        kwargs["auto_id"] = f"id_system{system.pk}_%s"
        kwargs.setdefault(
            "initial",
            {name: getattr(system, name) for name in SYSTEM_EDITABLE_FIELDS},
        )
        super().__init__(*args, **kwargs)

    def changes(self, system) -> dict:
        """Only the fields whose value differs from the system's."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if getattr(system, name) != value
        }


class ContainmentForm(Form):
    state = forms.ChoiceField(choices=ContainmentState.choices, label="Containment")
    note = forms.CharField(max_length=MAX_REASON_LENGTH, required=False)

    def __init__(self, *args, system, **kwargs):
        kwargs.setdefault("auto_id", f"id_containment{system.pk}_%s")
        kwargs.setdefault("initial", {"state": system.containment_state})
        super().__init__(*args, **kwargs)


class CrewAddForm(Form):
    username = forms.CharField(
        max_length=150,
        label="Person (user name)",
        widget=forms.TextInput(attrs={"list": "crew-candidates", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=CrewRole.choices, initial=CrewRole.RESPONDER)

    def __init__(self, *args, incident: Incident, **kwargs):
        kwargs.setdefault("auto_id", "id_crew_%s")
        super().__init__(*args, **kwargs)
        self.incident = incident

    def candidates(self):
        """CSIRT members not on the crew yet, offered as suggestions."""
        return selectors.crew_candidates(self.incident)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise ValidationError("No active person has this user name.")
        return user


class People(list):
    """People read once for a page's many owner lists, with the query they came from
    (forms check a submitted name against it)."""

    def __init__(self, queryset):
        super().__init__(queryset)
        self.queryset = queryset


class AssigneeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()

    def use_people(self, people) -> None:
        """Render these (already loaded) people as the options, so a page with many
        forms over the same incident reads them once; a submitted value is still
        checked against the queryset."""
        options = [(person.get_username(), self.label_from_instance(person)) for person in people]
        self.choices = [("", self.empty_label), *options]

    @staticmethod
    def of(form: forms.BaseForm, name: str) -> AssigneeChoiceField:
        """The form's own copy of its field `name`, which its class declares as one."""
        # form.fields (a copy of the declared fields) is typed as holding any Field.
        return cast(AssigneeChoiceField, form.fields[name])


class TaskAddForm(Form):
    title = forms.CharField(max_length=200, label="Task")
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assignee = AssigneeChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Nobody yet",
        help_text="Someone who can see this incident.",
    )
    due_date = forms.DateField(required=False, widget=DateInput, label="Due date")

    def __init__(self, *args, incident: Incident, **kwargs):
        kwargs.setdefault("auto_id", "id_task_%s")
        super().__init__(*args, **kwargs)
        AssigneeChoiceField.of(self, "assignee").queryset = self.assignable(incident)

    @staticmethod
    def assignable(incident: Incident):
        """People who can see the incident: its crew, and the CSIRT members who see it anyway."""
        return selectors.people_who_see(incident)


class TaskDoneForm(Form):
    done = forms.TypedChoiceField(
        choices=[("true", "Done"), ("false", "Not done")], coerce=lambda value: value == "true"
    )
