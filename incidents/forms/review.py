"""Forms of the post-incident review and the action-item tracker."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.fields import BoundedIntegerField
from core.forms import (
    DateInput,
    Form,
)
from incidents.forms.work import AssigneeChoiceField, TaskAddForm
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    Incident,
    ReviewSection,
    ReviewSectionKind,
)

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

    def __init__(
        self, *args, section: ReviewSection | None, incident: Incident, people=None, **kwargs
    ):
        kwargs.setdefault("auto_id", f"id_item{section.pk if section else ''}_%s")
        super().__init__(*args, **kwargs)
        owner = AssigneeChoiceField.of(self, "owner")
        if people is None:
            owner.queryset = TaskAddForm.assignable(incident)
        else:
            owner.queryset = people.queryset
            owner.use_people(people)


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_kind_display()


class ReviewActionItemForm(ActionItemAddForm):
    """The review page's one action-item form: the section is chosen in it."""

    section = SectionChoiceField(
        queryset=ReviewSection.objects.none(), empty_label="Choose a section", label="Section"
    )
    field_order = ["section", "title", "owner", "due_date", "ticket_url"]

    def __init__(self, *args, review, incident: Incident, people=None, **kwargs):
        super().__init__(*args, section=None, incident=incident, people=people, **kwargs)
        # Its own plain query: review.sections may carry the page's prefetches.
        cast(
            forms.ModelChoiceField, self.fields["section"]
        ).queryset = ReviewSection.objects.filter(review=review)


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
        owner = AssigneeChoiceField.of(self, "owner")
        if people is None:
            owner.queryset = TaskAddForm.assignable(incident)
        else:
            owner.queryset = people.queryset
            owner.use_people(people)

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
