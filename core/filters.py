"""django-filter with Cordon's rules for input: every integer filter is bounded.

`FilterSet` maps every integer model field to `IntegerFilter`, whose form field is
core.fields.BoundedIntegerField, so a filter generated from a model (Meta.fields) or
declared with IntegerFilter answers a number past 64 bits with a 400 naming the filter,
never a 500 from the database. API filter sets subclass it instead of django-filter's.
"""

from __future__ import annotations

import django_filters
from django.db import models
from django_filters import rest_framework

from core.fields import BoundedIntegerField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number that fits a 64-bit column (django-filter's NumberFilter takes any decimal)."""

    field_class = BoundedIntegerField


INTEGER_MODEL_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


class FilterSet(rest_framework.FilterSet):
    """django-filter's FilterSet for DRF (booleans as true/false), integers bounded."""

    FILTER_DEFAULTS = {
        **rest_framework.FilterSet.FILTER_DEFAULTS,
        **{field: {"filter_class": IntegerFilter} for field in INTEGER_MODEL_FIELDS},
    }
