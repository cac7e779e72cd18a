"""Request context for the audit log: a request id on every request and response, and
an audit event for every refused or failed request (400, 401, 403, 404, 405, 413, 429, 5xx)."""

import logging

from django.db import DatabaseError

import audit
from audit import context
from audit.models import Outcome

MAX_USER_AGENT_LENGTH = 300
MAX_PATH_LENGTH = 500
RECORDED_STATUSES = frozenset({400, 401, 403, 404, 405, 413, 429})
UNRECORDED_PREFIXES = ("/static/", "/healthz")

security_log = logging.getLogger("cordon.security")


def _record_refusal(request, response) -> None:
    status = response.status_code
    if status < 500 and status not in RECORDED_STATUSES:
        return
    if request.path.startswith(UNRECORDED_PREFIXES):
        return
    data = {"method": request.method, "path": request.path[:MAX_PATH_LENGTH], "status": status}
    outcome = Outcome.FAILURE if status >= 500 else Outcome.DENIED
    try:
        audit.record(f"http.{status}", data=data, outcome=outcome)
    except DatabaseError:
        # The database may be what failed: the structured log still has the event.
        security_log.exception(
            "audit event not stored",
            extra={"action": f"http.{status}", "outcome": outcome, "object": data["path"]},
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
