"""A URL map with a view that fails, for the error-handling tests."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("simulated failure")


urlpatterns = [
    path("boom/", boom),
    path("", include("config.urls")),
]

handler500 = "config.errors.server_error"
