"""/accounts/notifications/: which messages a person gets by e-mail.

The page lists the events offered to the person's role and any they turned on
themselves (notifications.events), each with an on/off checkbox; mandatory ones are
shown as always on. The form sends one `shown` value per event it lists and one
`email` value per ticked box, so an unticked box is a choice too.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import services
from core.views import login_required

BAD_REQUEST = 400


def _page(request, *, errors=(), status=200):
    return render(
        request,
        "accounts/notifications.html",
        {"rows": services.notification_rows(user=request.user), "errors": errors},
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    if request.method == "GET":
        return _page(request)
    shown = request.POST.getlist("shown")
    ticked = set(request.POST.getlist("email"))
    stray = sorted(ticked - set(shown))
    if stray:
        return _page(
            request,
            errors=[f"Unknown notification event {name!r}." for name in stray],
            status=BAD_REQUEST,
        )
    try:
        changed = services.notification_preferences_save(
            user=request.user, choices={name: name in ticked for name in shown}
        )
    except ValidationError as error:
        return _page(request, errors=error.messages, status=BAD_REQUEST)
    if changed:
        messages.success(request, "Your notification choices were saved.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect("accounts:notifications")
