"""Error answers that show the request id (the correlation id), never a trace.

Browsers get a page (templates/400.html, 403.html, 404.html, 500.html); the API,
whose clients are programs, gets JSON in the shape of its other errors:
{"detail": ..., "request_id": ...}.
"""

from django.http import JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"
API_DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Server error. Quote the request_id when you report it.",
}


def _error(request, status: int):
    request_id = getattr(request, "request_id", "")
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": API_DETAILS[status], "request_id": request_id}, status=status
        )
    return render(request, f"{status}.html", {"request_id": request_id}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400)


def permission_denied(request, exception=None):
    return _error(request, 403)


def page_not_found(request, exception=None):
    return _error(request, 404)


def server_error(request):
    return _error(request, 500)
