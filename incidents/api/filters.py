import django_filters

from core.filters import FilterSet
from incidents.lifecycle import Status
from incidents.models import Incident, Severity
from incidents.selectors import search


class IncidentFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    q = django_filters.CharFilter(method="filter_q", max_length=200, label="Text search")

    class Meta:
        model = Incident
        fields = ["status", "severity", "q"]

    def filter_q(self, queryset, name, value):
        return search(queryset, value)
