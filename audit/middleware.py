"""Request context for the audit log: a request id on every request and response."""

from audit import context

MAX_USER_AGENT_LENGTH = 300


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
        finally:
            context.current.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response
