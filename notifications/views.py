"""The in-app notifications page: the bell's list, mark one or all read."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.views import login_required
from notifications import inapp


@login_required
@require_GET
def notification_list(request):
    rows = inapp.inapp_list(user=request.user)
    return render(
        request,
        "notifications/list.html",
        {"rows": rows, "unread": sum(1 for row in rows if row.read_at is None)},
    )


def _own(request, pk: int):
    row = inapp.inapp_get(user=request.user, pk=pk)
    if row is None:
        raise Http404("No such notification.")
    return row


@login_required
@require_POST
def notification_open(request, pk):
    """Mark it read and go to the page it is about."""
    row = inapp.inapp_mark_read(notification=_own(request, pk), actor=request.user)
    return redirect(row.link or "notifications:list")


@login_required
@require_POST
def notification_read(request, pk):
    inapp.inapp_mark_read(notification=_own(request, pk), actor=request.user)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = inapp.inapp_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications:list")
