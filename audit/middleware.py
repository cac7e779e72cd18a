"""Request context for the audit log: a request id on every request and response, and
an audit event for every refused or failed request (400, 401, 403, 404, 405, 413, 429, 5xx)."""

import logging
import time

from django import db
from django.conf import settings
from django.core.cache import cache

import audit
from audit import context
from audit.logging import public_path
from audit.models import Outcome

MAX_USER_AGENT_LENGTH = 300
MAX_PATH_LENGTH = 500
RECORDED_STATUSES = frozenset({400, 401, 403, 404, 405, 413, 429})
UNRECORDED_PREFIXES = ("/static/", "/healthz")

security_log = logging.getLogger("cordon.security")


def _current_minute() -> int:
    return int(time.time() // 60)


def _within_budget(ip: str | None) -> tuple[bool, bool]:
    """(record it, it is the first one over the budget) for this address this minute.

    A scanner's flood of 404s must not turn into a flood of audit writes, each waiting
    on the chain lock: past AUDIT_REFUSALS_PER_MINUTE per address, one event says the
    rest were only logged, and they go to the structured log alone.
    """
    key = f"cordon:refusals:{ip}:{_current_minute()}"
    if cache.add(key, 1, 120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired in between
            count = 1
    limit = settings.AUDIT_REFUSALS_PER_MINUTE
    return count <= limit, count == limit + 1


def _record_refusal(request, response) -> None:
    status = response.status_code
    if status < 500 and status not in RECORDED_STATUSES:
        return
    if request.path.startswith(UNRECORDED_PREFIXES):
        return
    # What was refused, kept apart from the event: the JSON log names the path whichever
    # event is written (the budget's summary event carries no path of its own).
    path = public_path(request)[:MAX_PATH_LENGTH]
    action = f"http.{status}"
    data = {"method": request.method, "path": path, "status": status}
    outcome = Outcome.FAILURE if status >= 500 else Outcome.DENIED
    ctx = context.get()
    record, first_over = _within_budget(ctx.ip if ctx else None)
    if not record:
        security_log.warning(
            "refused request (audit budget for this address spent)",
            extra={"action": action, "outcome": outcome, "object": path},
        )
        if not first_over:
            return
        action, outcome = "http.refusals_suppressed", Outcome.DENIED
        data = {"limit_per_minute": settings.AUDIT_REFUSALS_PER_MINUTE}
    try:
        audit.record(action, data=data, outcome=outcome)
    except db.Error:
        # The database may be what failed (db.Error: a dropped connection raises an
        # InterfaceError, which is no DatabaseError). The refusal is answered as it was
        # and the structured log still has the event.
        security_log.exception(
            "audit event not stored",
            extra={"action": action, "outcome": outcome, "object": path},
        )


class RequestContextMiddleware:
    """Give every request an id (kept from X-Request-ID when sane) and remember who sent it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            request_id=context.clean_request_id(request.headers.get("X-Request-ID")),
            ip=context.client_ip_of(request),
            user_agent=request.headers.get("User-Agent", "")[:MAX_USER_AGENT_LENGTH],
            request=request,
        )
        request.request_id = ctx.request_id
        token = context.current.set(ctx)
        try:
            response = self.get_response(request)
            _record_refusal(request, response)
        finally:
            context.current.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response
