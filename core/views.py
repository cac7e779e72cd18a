"""View plumbing every app's browser pages share: htmx awareness, the sign-in guard,
permission checks, and the one way a form post calls a service.

`form_post` is "POST a form → call a service → redirect, or show the form again with
what was refused": 422 for input to correct, 409 for a change the object's state does
not allow (core.errors.IllegalStateChange), 403 for a refusal of the person, each with
the service's own message on the form.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse

from core.errors import IllegalStateChange
from core.forms import apply_service_errors
from core.permissions import require_permission as require_permission

HTMX_HEADER = "HX-Request"
UNPROCESSABLE = 422  # input to correct; htmx is configured to swap it in
CONFLICT = 409  # a change the current state does not allow
FORBIDDEN = 403


def is_htmx(request) -> bool:
    return request.headers.get(HTMX_HEADER) == "true"


def login_required(view):
    """Django's login_required, except that htmx requests are sent to the login page whole
    (a redirect followed inside htmx would put the login form into a page section)."""
    protected = django_login_required(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and is_htmx(request):
            page = urlsplit(request.headers.get("HX-Current-URL", "")).path or request.path
            login = redirect_to_login(page)
            response = HttpResponse(status=401)
            response["HX-Redirect"] = login["Location"]
            return response
        return protected(request, *args, **kwargs)

    return wrapper


def form_post(
    form,
    write: Callable[[dict], Any],
    *,
    succeeded: Callable[[Any], HttpResponse],
    refused: Callable[[int], HttpResponse],
    rename: dict[str, str] | None = None,
) -> HttpResponse:
    """Validate `form`; call `write(cleaned_data)` (a service); answer `succeeded(result)`.

    Otherwise answer `refused(status)` with the form holding the errors: a form error or
    a service's ValidationError (422, on the field it names, `rename` mapping service
    arguments to form fields), an IllegalStateChange (409) or a PermissionDenied (403).
    """
    status = UNPROCESSABLE
    if form.is_valid():
        try:
            result = write(form.cleaned_data)
        except IllegalStateChange as error:
            apply_service_errors(form, error)
            status = CONFLICT
        except PermissionDenied as error:
            apply_service_errors(form, error)
            status = FORBIDDEN
        except ValidationError as error:
            apply_service_errors(form, error, rename=rename)
        else:
            return succeeded(result)
    return refused(status)
