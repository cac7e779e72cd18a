"""Error pages that show the request id (the correlation id) instead of a trace."""

from django.shortcuts import render


def server_error(request):
    return render(
        request,
        "500.html",
        {"request_id": getattr(request, "request_id", "")},
        status=500,
    )
