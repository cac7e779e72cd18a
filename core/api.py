"""The API's one error shape and the one place domain refusals become HTTP statuses.

Field errors are {"field": ["message", …]}, others {"detail": "…"}; every error body
also carries "request_id" (the X-Request-ID of the answer, to quote in a report). A
service's ValidationError is 400, an IllegalStateChange (core.errors) 409 with its
message, a PermissionDenied 403: views and serializers raise or let through, this maps.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import IllegalStateChange


class Conflict(exceptions.APIException):
    """An illegal state change (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not allowed in the current state."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, IllegalStateChange):
        exc = Conflict(str(exc))
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    response = drf_exception_handler(exc, context)
    if response is not None:
        _add_request_id(response, context.get("request"))
    return response


def _add_request_id(response, request) -> None:
    """Put the request id into the error body. A body that is a list (errors of a list
    of items, one per item) keeps its shape; the X-Request-ID header carries it too."""
    request_id = getattr(request, "request_id", "") or ""
    if isinstance(response.data, dict):
        response.data["request_id"] = request_id
