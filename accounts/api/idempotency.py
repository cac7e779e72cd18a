"""Idempotency-Key support for API creates: a retry gets the first answer, not a second row.

The record is written in the same transaction as the object it describes. Two
concurrent requests with one key race on the record's unique constraint: the
loser's whole transaction rolls back and it replays the winner's answer.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.api.errors import IdempotencyKeyReused
from accounts.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


class _ReplayInstead(Exception):
    pass


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _stored(request, key: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    if record is not None and record.created_at < timezone.now() - ttl:
        record.delete()
        return None
    return record


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return Response(
        record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"}
    )


class IdempotentCreateMixin:
    """Mix into a viewset before CreateModelMixin to honour the Idempotency-Key header."""

    def create(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return super().create(request, *args, **kwargs)
        if not _KEY_PATTERN.match(key):
            raise exceptions.ValidationError(
                {HEADER: ["Use 1 to 255 visible ASCII characters (a UUID is ideal)."]}
            )
        fingerprint = _fingerprint(request)
        record = _stored(request, key)
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                response = super().create(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    try:
                        with transaction.atomic():
                            IdempotencyRecord.objects.create(
                                user=request.user,
                                key=key,
                                fingerprint=fingerprint,
                                status_code=response.status_code,
                                response_body=response.data,
                            )
                    except IntegrityError as error:
                        raise _ReplayInstead from error
        except _ReplayInstead:
            return _replay(_stored(request, key), fingerprint)
        return response
