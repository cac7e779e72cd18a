import django_filters

from core.filters import FilterSet
from incidents.lifecycle import Status
from incidents.models import MAX_TAG_LENGTH, Incident, Severity
from incidents.selectors import search, with_custom_field, with_tag


class IncidentFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    q = django_filters.CharFilter(method="filter_q", max_length=200, label="Text search")
    type = django_filters.CharFilter(field_name="incident_type__key", max_length=50)
    tag = django_filters.CharFilter(method="filter_tag", max_length=MAX_TAG_LENGTH)
    field = django_filters.CharFilter(
        method="filter_field",
        max_length=120,
        label="Custom field value as key:value, e.g. strain:lockbit",
    )

    class Meta:
        model = Incident
        fields = ["status", "severity", "q", "type", "tag", "field"]

    def filter_tag(self, queryset, name, value):
        return with_tag(queryset, value)

    def filter_field(self, queryset, name, value):
        key, _, wanted = value.partition(":")
        return with_custom_field(queryset, key.strip(), wanted.strip())

    def filter_q(self, queryset, name, value):
        return search(queryset, value)
