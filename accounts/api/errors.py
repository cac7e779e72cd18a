"""One error shape for the API: field errors as {"field": [...]}, others as {"detail": ...}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """An illegal state change (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not allowed in the current state."
    default_code = "conflict"


class IdempotencyKeyReused(exceptions.APIException):
    """The Idempotency-Key was already used with another request (IETF draft: 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
