"""The API's one error shape and the one place domain refusals become HTTP statuses.

Field errors are {"field": ["message", …]}, others {"detail": "…"}; every error body
also carries "request_id" (the X-Request-ID of the answer, to quote in a report). A
service's ValidationError is 400, an IllegalStateChange (core.errors) 409 with its
message, a PermissionDenied 403, a body the client stopped sending halfway 400: views
and serializers raise or let through, this maps.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import IllegalStateChange


class Conflict(exceptions.APIException):
    """An illegal state change (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not allowed in the current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    """A body larger than the endpoint takes (413); `detail` says what the limit is for."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is larger than this server takes."
    default_code = "too_large"


def refuse_large_bodies(request, limit: int, detail: str | None = None) -> None:
    """413 from the Content-Length alone, before the body is read or parsed."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(detail)


def flatten_item_errors(errors) -> dict:
    """A list body's per-item errors (a list, or DRF's {index: errors}) as the API's one
    shape: {"field": ["Item 3: …"]}, items counted from 1."""
    if isinstance(errors, list):
        per_item = dict(enumerate(errors))
    elif isinstance(errors, dict) and errors and all(str(key).isdigit() for key in errors):
        per_item = {int(key): value for key, value in errors.items()}
    else:
        return errors
    flat: dict[str, list[str]] = {}
    for index in sorted(per_item):
        for name, messages in (per_item[index] or {}).items():
            flat.setdefault(name, []).extend(f"Item {index + 1}: {m}" for m in messages)
    return flat


def exception_handler(exc, context):
    if isinstance(exc, IllegalStateChange):
        exc = Conflict(str(exc))
    elif isinstance(exc, UnreadablePostError):
        # The client stopped sending halfway (a dropped connection, an aborted upload):
        # its request is refused, not a server error.
        exc = exceptions.ParseError("The request body could not be read in full.")
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
