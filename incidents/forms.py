"""Browser forms for incidents. They translate HTTP input into service arguments;
the services in incidents/services.py decide what is allowed and valid."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.fields import INTEGER_MAX, BoundedIntegerField
from core.forms import (
    DateInput,
    Form,
    UTCDateTimeField,
    apply_service_errors,
    now_to_the_minute,
)
from incidents import selectors
from incidents.lifecycle import BACKWARD, Status, next_statuses
from incidents.models import (
    MAX_LIST_ITEM_LENGTH,
    MAX_LIST_ITEMS,
    ActionItem,
    ActionItemStatus,
    ContainmentState,
    CrewRole,
    DataCategory,
    EntryKind,
    Incident,
    ReviewSection,
    ReviewSectionKind,
    Severity,
    SystemKind,
)

MAX_QUERY_LENGTH = 200
MAX_REASON_LENGTH = 2000
MAX_ATTACK_VECTORS_INPUT = MAX_LIST_ITEMS * (MAX_LIST_ITEM_LENGTH + 2)


# --- Incidents -----------------------------------------------------------------


class IncidentFilterForm(Form):
    """The list's GET filters. An invalid value is reported and that filter ignored."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *Status.choices], required=False, label="Status"
    )
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *Severity.choices], required=False, label="Severity"
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        help_text="Words in the title or description, or a reference such as INC-2025-0001.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def valid_filters(self) -> dict[str, str]:
        """The filters whose values are valid, ready for incidents.selectors.incident_list."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value
        }


class IncidentFileForm(Form):
    """Everything a person knows when filing an incident (incidents.services.incident_file)."""

    title = forms.CharField(max_length=Incident._meta.get_field("title").max_length)
    severity = forms.ChoiceField(choices=[("", "Choose a severity"), *Severity.choices])
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What happened, as far as you know now.",
    )
    occurred_at = UTCDateTimeField(
        required=False, label="Occurred at (UTC)", help_text="Estimated start of the incident."
    )
    discovered_at = UTCDateTimeField(required=False, label="Discovered at (UTC)")
    aware_at = UTCDateTimeField(
        required=False,
        initial=now_to_the_minute,
        label="Aware at (UTC)",
        help_text="When the organisation became aware: every regulatory deadline counts from it.",
    )
    discovery_method = forms.CharField(
        required=False,
        label="How was it discovered?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attack_vectors = forms.CharField(
        required=False,
        max_length=MAX_ATTACK_VECTORS_INPUT,
        label="Suspected attack vectors",
        help_text="Separate them with commas, e.g. phishing, stolen credentials.",
    )
    data_categories = forms.MultipleChoiceField(
        required=False,
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Data that may have been accessed",
    )
    estimated_affected_people = BoundedIntegerField(
        required=False,
        min_value=0,
        max_value=INTEGER_MAX,
        label="Estimated number of affected people",
    )
    restricted = forms.BooleanField(
        required=False,
        label="Restricted (need-to-know)",
        help_text="Only the incident's crew and the leads will see it.",
    )

    def clean_attack_vectors(self) -> list[str]:
        raw = self.cleaned_data["attack_vectors"]
        vectors = [part.strip() for part in raw.split(",") if part.strip()]
        vectors = list(dict.fromkeys(vectors))
        if len(vectors) > MAX_LIST_ITEMS:
            raise ValidationError(f"At most {MAX_LIST_ITEMS} attack vectors.")
        if any(len(vector) > MAX_LIST_ITEM_LENGTH for vector in vectors):
            raise ValidationError(
                f"Each attack vector is at most {MAX_LIST_ITEM_LENGTH} characters."
            )
        return vectors

    def clean(self):
        cleaned_data = super().clean()
        # The incident's own rules about its times (none in the future, in order),
        # checked now so that every error shows at once.
        times = {
            name: cleaned_data[name]
            for name in ("occurred_at", "discovered_at", "aware_at")
            if cleaned_data.get(name)
        }
        others = [field.name for field in Incident._meta.fields if field.name not in times]
        try:
            Incident(**times).full_clean(exclude=others, validate_unique=False)
        except ValidationError as error:
            apply_service_errors(self, error)
        return cleaned_data

    def service_fields(self) -> dict:
        """Keyword arguments for incident_file, besides reporter, title and severity."""
        fields = dict(self.cleaned_data)
        del fields["title"], fields["severity"]
        if fields["aware_at"] is None:
            del fields["aware_at"]
        return fields


class StatusChangeForm(Form):
    """Move the incident along its lifecycle. Only the allowed next statuses are offered;
    anything else posted is still passed to the service, which refuses it clearly."""

    status = forms.ChoiceField(choices=Status.choices, label="New status")
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when moving back a step.",
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        kwargs.setdefault("auto_id", "id_status_%s")
        super().__init__(*args, **kwargs)
        backward = BACKWARD.get(incident.status)
        self.fields["status"].widget.choices = [
            (
                status,
                f"Back to {Status(status).label}"
                if status == backward
                else f"Forward to {Status(status).label}",
            )
            for status in next_statuses(incident.status)
        ]


class TimelineEntryForm(Form):
    kind = forms.ChoiceField(
        choices=[choice for choice in EntryKind.choices if choice[0] != EntryKind.STATUS_CHANGE],
        initial=EntryKind.NOTE,
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What happened")
    occurred_at = UTCDateTimeField(
        required=False, label="When (UTC)", help_text="Leave empty for now."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_timeline_%s")
        super().__init__(*args, **kwargs)


# --- Affected systems ----------------------------------------------------------


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


# --- Crew and tasks ------------------------------------------------------------


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


class TaskAddForm(Form):
    title = forms.CharField(max_length=200, label="Task")
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
        self.fields["assignee"].queryset = self.assignable(incident)

    @staticmethod
    def assignable(incident: Incident):
        """People who can see the incident: its crew, and the CSIRT members who see it anyway."""
        return selectors.people_who_see(incident)


class TaskDoneForm(Form):
    done = forms.TypedChoiceField(
        choices=[("true", "Done"), ("false", "Not done")], coerce=lambda value: value == "true"
    )


# --- The post-incident review ----------------------------------------------------

MAX_SECTION_LENGTH = 50_000
MAX_FINDING_LENGTH = 5_000
ROOT_CAUSE_HELP = (
    "Blameless: write systemic causes, not people. Ask how our systems let this happen, never who."
)


class ReviewSectionForm(Form):
    body = forms.CharField(
        required=False,
        max_length=MAX_SECTION_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Text",
    )

    def __init__(self, *args, section: ReviewSection, **kwargs):
        kwargs.setdefault("auto_id", f"id_section{section.pk}_%s")
        kwargs.setdefault("initial", {"body": section.body})
        super().__init__(*args, **kwargs)
        if section.kind == ReviewSectionKind.ROOT_CAUSE:
            self.fields["body"].help_text = ROOT_CAUSE_HELP


class FindingForm(Form):
    body = forms.CharField(
        max_length=MAX_FINDING_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Finding",
    )

    def __init__(self, *args, section: ReviewSection, **kwargs):
        kwargs.setdefault("auto_id", f"id_finding{section.pk}_%s")
        super().__init__(*args, **kwargs)
        if section.kind == ReviewSectionKind.ROOT_CAUSE:
            self.fields["body"].help_text = ROOT_CAUSE_HELP


class HttpUrlField(forms.URLField):
    default_validators = [URLValidator(schemes=["http", "https"])]


class ActionItemAddForm(Form):
    title = forms.CharField(max_length=200, label="Action item")
    owner = AssigneeChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        empty_label="Choose an owner",
        help_text="Someone who can see this incident.",
    )
    due_date = forms.DateField(widget=DateInput, label="Due date")
    ticket_url = HttpUrlField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Ticket link",
        help_text="The ticket in another tracker (http or https), if there is one.",
    )

    def __init__(self, *args, section: ReviewSection, incident: Incident, people=None, **kwargs):
        kwargs.setdefault("auto_id", f"id_item{section.pk}_%s")
        super().__init__(*args, **kwargs)
        if people is None:
            self.fields["owner"].queryset = TaskAddForm.assignable(incident)
        else:
            self.fields["owner"].queryset = people.queryset
            self.fields["owner"].use_people(people)


class ActionItemEditForm(Form):
    """An action item's owner, due date and ticket link (its title stays as written)."""

    owner = AssigneeChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        empty_label="Choose an owner",
    )
    due_date = forms.DateField(widget=DateInput, label="Due date")
    ticket_url = HttpUrlField(
        required=False, max_length=500, assume_scheme="https", label="Ticket link"
    )

    def __init__(self, *args, item: ActionItem, incident: Incident, people=None, **kwargs):
        kwargs.setdefault("auto_id", f"id_itemedit{item.pk}_%s")
        kwargs.setdefault(
            "initial",
            {
                "owner": item.owner.get_username(),
                "due_date": item.due_date,
                "ticket_url": item.ticket_url,
            },
        )
        super().__init__(*args, **kwargs)
        self.item = item
        if people is None:
            self.fields["owner"].queryset = TaskAddForm.assignable(incident)
        else:
            self.fields["owner"].queryset = people.queryset
            self.fields["owner"].use_people(people)

    def changed_fields(self) -> dict:
        """Only what differs from the item (a completed review refuses owner and due
        date changes, not their unchanged values)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value != getattr(self.item, name)
        }


class ActionItemStatusForm(Form):
    status = forms.ChoiceField(choices=ActionItemStatus.choices, label="Status")

    def __init__(self, *args, item: ActionItem, **kwargs):
        kwargs.setdefault("auto_id", f"id_itemstatus{item.pk}_%s")
        kwargs.setdefault("initial", {"status": item.status})
        super().__init__(*args, **kwargs)


ANY_STATUS = "all"
OWNER_HELP = "Give “me”, a user name or a person's id."
# What digits in the owner filter must be: a person's id (a form error past 64 bits).
PERSON_ID = BoundedIntegerField(min_value=1)


class ActionItemFilterForm(Form):
    """The tracker's GET filters. An invalid value is reported and that filter ignored.

    The owner is never looked up here: a user name nobody has must give exactly the page
    of someone who owns no item, or the filter would tell anyone which names exist.
    """

    owner = forms.CharField(
        required=False,
        max_length=get_user_model()._meta.get_field("username").max_length,
        label="Owner",
        help_text="“me”, a user name, or a person's id.",
    )
    overdue = forms.BooleanField(required=False, label="Only overdue")
    status = forms.ChoiceField(
        choices=[("", "Open and in progress"), *ActionItemStatus.choices, (ANY_STATUS, "Any")],
        required=False,
        label="Status",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_owner(self) -> int | str | None:
        """My id for "me", a person's id for digits, a user name otherwise."""
        owner = self.cleaned_data["owner"].strip()
        if not owner:
            return None
        if owner == "me":
            return self.user.pk
        if owner.isascii() and owner.isdigit():
            try:
                return PERSON_ID.clean(owner)
            except ValidationError:
                raise ValidationError(OWNER_HELP) from None
        return owner

    def valid_filters(self) -> dict:
        """Arguments for incidents.selectors.action_item_tracker (besides user)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        status = data.get("status") or None
        if status == ANY_STATUS:
            status = ActionItemStatus.values
        owner = data.get("owner")
        return {
            "owner": owner if isinstance(owner, int) else None,
            "owner_username": owner if isinstance(owner, str) else None,
            "overdue": bool(data.get("overdue")),
            "status": status,
        }
