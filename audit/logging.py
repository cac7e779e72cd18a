"""Structured JSON log lines on stdout, carrying the request id of the current request,
and the events the database cannot hold (its own authentication failures)."""

import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from audit import context

security_log = logging.getLogger("cordon.security")

DB_AUTH_FAILED = "db.auth_failed"
DB_AUTH_FAILURES_CACHE_KEY = "cordon:db_auth_failures"
# What PostgreSQL (libpq) and MySQL say when the credentials are refused.
_AUTH_FAILURE_MARKERS = (
    "authentication failed",
    "no password supplied",
    "no pg_hba.conf entry",
    "access denied for user",
)
_ROLE_MISSING_MARKERS = ('role "', '" does not exist')


REDACTED_SEGMENT = "[redacted]"


def public_path(request) -> str:
    """The request's path with secret URL parts (a one-time link's `token`: invitation,
    password reset, e-mail verification) replaced, for the audit log and the JSON log."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None:
        return path
    for name, value in match.kwargs.items():
        if name in settings.AUDIT_REDACTED_FIELDS and isinstance(value, str) and value:
            path = path.replace(value, REDACTED_SEGMENT)
    return path


class JsonFormatter(logging.Formatter):
    """One JSON object per line; json.dumps escapes CR/LF and control characters
    (and, with ensure_ascii, every non-ASCII line separator), so a value can never
    start a forged line of its own."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = context.get()
        request_id: str | None
        if ctx is not None:
            request_id = ctx.request_id
        else:
            # django.request logs refused and failed requests after the request context
            # has ended, but hands over the request itself.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "request_id": request_id,
        }
        if ctx is not None:
            line["ip"] = ctx.ip
            line["user_agent"] = ctx.user_agent
        for key in ("action", "actor", "ip", "outcome", "object", "count"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=True)


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    request = getattr(record, "request", None)
    # django.request writes "Bad Request: <path>" for refused requests.
    if request is not None and getattr(request, "path", None):
        message = message.replace(request.path, public_path(request))
    return message


def is_database_auth_failure(error: BaseException) -> bool:
    message = str(error).lower()
    if any(marker in message for marker in _AUTH_FAILURE_MARKERS):
        return True
    return all(marker in message for marker in _ROLE_MISSING_MARKERS)


def note_database_error(error: BaseException, *, where: str) -> bool:
    """If `error` is the database refusing our credentials: one "db.auth_failed" JSON
    log line and one more on the counter in the cache. The audit log lives in that
    database, so it cannot hold this event. Returns whether it was such a failure."""
    if not is_database_auth_failure(error):
        return False
    try:
        count = cache.incr(DB_AUTH_FAILURES_CACHE_KEY)
    except ValueError:
        cache.add(DB_AUTH_FAILURES_CACHE_KEY, 0, timeout=None)
        count = cache.incr(DB_AUTH_FAILURES_CACHE_KEY)
    security_log.error(
        "database refused the application's credentials",
        extra={
            "action": DB_AUTH_FAILED,
            "outcome": "failure",
            "object": where,
            "count": count,
        },
    )
    return True


def database_auth_failures() -> int:
    return cache.get(DB_AUTH_FAILURES_CACHE_KEY, 0)


def on_request_exception(sender, request=None, **kwargs):
    """got_request_exception receiver: a request that failed because the database
    refused our credentials is counted and logged (the 500 itself is handled as usual)."""
    import sys

    from django.db import OperationalError

    error = sys.exc_info()[1]
    if isinstance(error, OperationalError):
        note_database_error(error, where=getattr(request, "path", "request"))
