"""core.fields and core.filters: numbers from outside fit a 64-bit column, everywhere."""

import importlib
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError

from core.fields import BIGINT_MAX, BIGINT_MIN, BoundedIntegerField
from core.filters import FilterSet, IntegerFilter


def test_a_bounded_integer_takes_the_64_bit_range_and_refuses_past_it():
    field = BoundedIntegerField()
    assert field.clean(str(BIGINT_MAX)) == BIGINT_MAX
    assert field.clean(str(BIGINT_MIN)) == BIGINT_MIN
    for value in (str(BIGINT_MAX + 1), str(BIGINT_MIN - 1), "9" * 5000, "²", "1e400"):
        with pytest.raises(ValidationError):
            field.clean(value)


def test_bounds_given_may_only_narrow_the_64_bit_range():
    narrow = BoundedIntegerField(min_value=1, max_value=10)
    assert (narrow.min_value, narrow.max_value) == (1, 10)
    wide = BoundedIntegerField(min_value=-(2**80), max_value=2**80)
    assert (wide.min_value, wide.max_value) == (BIGINT_MIN, BIGINT_MAX)


def test_the_64_bit_limits_are_not_written_into_the_page():
    attrs = BoundedIntegerField().widget_attrs(forms.NumberInput())
    assert "max" not in attrs and "min" not in attrs
    assert BoundedIntegerField(min_value=1).widget_attrs(forms.NumberInput())["min"] == 1


def test_filter_sets_filter_integer_columns_through_the_bounded_field():
    from incidents.models import Incident

    class ById(FilterSet):
        class Meta:
            model = Incident
            fields = ["id", "estimated_affected_people"]

    assert all(isinstance(f, IntegerFilter) for f in ById.base_filters.values())
    refused = ById({"id": "9" * 20}, queryset=Incident.objects.none())
    assert not refused.is_valid() and "id" in refused.errors


# --- Every form and filter set of every Cordon app -----------------------------------

# Cordon's own apps: those in the repository, not in site-packages.
CORDON_APPS = {
    app.name
    for app in apps.get_app_configs()
    if Path(app.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in app.path
}


def _cordon_subclasses(base):
    importlib.import_module(settings.ROOT_URLCONF)  # every view, so every form, is loaded
    found, todo = set(), [base]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.split(".")[0] in CORDON_APPS:
                found.add(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_integer_field_of_every_cordon_form_is_bounded():
    forms_seen, unbounded = 0, []
    for form in _cordon_subclasses(forms.BaseForm):
        forms_seen += 1
        for name, field in form.base_fields.items():
            if not isinstance(field, forms.IntegerField):
                continue
            low, high = field.min_value, field.max_value
            if low is None or high is None or low < BIGINT_MIN or high > BIGINT_MAX:
                unbounded.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert forms_seen > 10
    assert not unbounded, f"use core.fields.BoundedIntegerField (or give bounds): {unbounded}"


def test_every_cordon_filter_set_bounds_its_numbers():
    sets = [cls for cls in _cordon_subclasses(django_filters.FilterSet) if cls is not FilterSet]
    assert sets and "core" in CORDON_APPS and "incidents" in CORDON_APPS
    for filter_set in sets:
        assert issubclass(filter_set, FilterSet), f"{filter_set} must subclass core.filters"
        for name, declared in filter_set.base_filters.items():
            if isinstance(declared, django_filters.NumberFilter):
                assert issubclass(declared.field_class, BoundedIntegerField), (filter_set, name)
