import django_filters

from core.filters import FilterSet
from incidents.models import Severity
from intake.models import SOURCE_MAX_LENGTH, Alert, AlertStatus


class AlertFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    source = django_filters.CharFilter(max_length=SOURCE_MAX_LENGTH)
    type = django_filters.CharFilter(max_length=64)

    class Meta:
        model = Alert
        fields = ["status", "source", "severity", "type"]
