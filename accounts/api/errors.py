"""API errors of the accounts app; the error shape and the mapping of domain refusals
live in core.api (Conflict and exception_handler are re-exported for callers)."""

from rest_framework import exceptions, status

from core.api import Conflict as Conflict
from core.api import exception_handler as exception_handler


class IdempotencyKeyReused(exceptions.APIException):
    """The Idempotency-Key was already used with another request (IETF draft: 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"
