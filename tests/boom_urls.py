"""A URL map with views that fail, for the error-handling tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import include, path


def boom(request):
    raise RuntimeError("simulated failure")


def forbidden(request):
    raise PermissionDenied("only for this test")


def bad(request):
    raise SuspiciousOperation("only for this test")


urlpatterns = [
    path("boom/", boom),
    path("api/boom/", boom),
    path("forbidden/", forbidden),
    path("bad/", bad),
    path("", include("config.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
