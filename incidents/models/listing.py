"""A person's saved filters of the incident list."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.capture import CapturedModel
from core.text import ShortTextField

SAVED_FILTER_NAME_LENGTH = 60
SAVED_FILTER_QUERY_LENGTH = 500
SAVED_FILTERS_PER_PERSON = 20


class SavedFilter(CapturedModel):
    """Filters and an order of the incident list that one person named to come back to.

    `query` is the list's query string as the filter form accepted it (never raw input)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_incident_filters"
    )
    name = ShortTextField(max_length=SAVED_FILTER_NAME_LENGTH)
    query = models.CharField(max_length=SAVED_FILTER_QUERY_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(CapturedModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="%(app_label)s_%(class)s_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
