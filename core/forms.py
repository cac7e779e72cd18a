"""Form plumbing every app's browser forms share: the base form, UTC date and time
fields, and showing what a service refused on the form that asked for it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import IllegalStateChange

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
DATE_FORMAT = "%Y-%m-%d"


class Form(forms.Form):
    """A form whose labels carry no colon (the stylesheet sets labels apart)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL_FORMAT)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATE_FORMAT)


class UTCDateTimeField(forms.DateTimeField):
    """A datetime-local input read and shown in UTC, whatever time zone is active."""

    widget = DateTimeLocalInput

    def to_python(self, value):
        with timezone.override(dt.UTC):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(dt.UTC):
            return super().prepare_value(value)


def now_to_the_minute() -> dt.datetime:
    return timezone.now().astimezone(dt.UTC).replace(second=0, microsecond=0)


Refusal = ValidationError | IllegalStateChange | PermissionDenied


def apply_service_errors(form: forms.Form, error: Refusal, *, rename=None) -> None:
    """Show what a service refused on the form: a field's error on its field when the
    form has it, anything else (an illegal state change, a refusal) above the form.

    `rename` maps a service argument to the form field that supplies it.
    """
    if not isinstance(error, ValidationError) or not hasattr(error, "error_dict"):
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
        return
    rename = rename or {}
    for name, messages in error.message_dict.items():
        field = rename.get(name, name)
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for message in messages:
            form.add_error(target, message)
