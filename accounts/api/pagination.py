"""Keyset (cursor) pagination: constant cost however deep the page, never an OFFSET scan.

A cursor comes back from the client, so it is input like any other: DRF checks that it
decodes, and here that its position is a value of the ordering column (a number for an
id, within the column's range) and that its offset is one DRF could have handed out.
Anything else is DRF's own answer to a bad cursor (404 "Invalid cursor"), never a 500
from the database.
"""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

NUL = "\x00"


def ordering_field(model, ordering: str):
    """The model field behind an ordering such as "-id" or "incident__id"."""
    *relations, name = ordering.lstrip("-").split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


class KeysetPagination(CursorPagination):
    ordering = "-id"
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # decode_cursor needs the model to know what a position may be.
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None:
            return None
        # DRF caps the offset silently; one at the cap was never handed out by it.
        if cursor.offset >= self.offset_cutoff:
            raise NotFound(self.invalid_cursor_message)
        if cursor.position is not None and not self._is_a_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _is_a_position(self, position: str) -> bool:
        """Whether `position` is a value of the ordering's column (and so safe to filter on)."""
        if NUL in position:  # PostgreSQL refuses it in any text
            return False
        try:
            field = ordering_field(self.model, self.ordering[0])
        except FieldDoesNotExist:
            return False
        try:
            value = field.to_python(position)
            field.run_validators(value)  # integers: the column's range
            field.get_prep_value(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
        return True
