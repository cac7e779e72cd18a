"""/webhooks/: leads manage the endpoints that get signed alerts, and see every delivery.

It lives in dashboard, not notifications, because it needs accounts (roles, step-up)
and notifications imports no domain app (DESIGN.md).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role
from accounts.twofactor import step_up_required
from core.forms import Form
from core.views import form_post, login_required
from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from notifications.services import webhook_endpoint_create, webhook_endpoint_delete
from notifications.webhooks import validate_webhook_url

RECENT_DELIVERIES = 50
ENDPOINT_DELIVERIES = 200


class WebhookEndpointForm(Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(
        max_length=500,
        label="URL",
        assume_scheme="https",
        help_text="https:// on a public address; it gets a POST.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(required=False, initial=True)

    def clean_url(self):
        url = self.cleaned_data["url"]
        validate_webhook_url(url)
        return url


def _require_lead(user) -> None:
    if not user.has_role(Role.LEAD):
        raise PermissionDenied("Webhook endpoints are managed by leads.")


@login_required
@require_GET
def endpoint_list(request):
    _require_lead(request.user)
    deliveries = WebhookDelivery.objects.select_related("endpoint")[:RECENT_DELIVERIES]
    return render(
        request,
        "dashboard/webhooks.html",
        {"endpoints": WebhookEndpoint.objects.all(), "deliveries": deliveries},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@step_up_required
def endpoint_create(request):
    _require_lead(request.user)
    form = WebhookEndpointForm(request.POST or None)

    def page(status=200):
        return render(request, "dashboard/webhooks_form.html", {"form": form}, status=status)

    if request.method != "POST":
        return page()
    return form_post(
        form,
        lambda data: webhook_endpoint_create(created_by=request.user, **data),
        # The secret is shown on this answer only; it is not kept anywhere we show.
        succeeded=lambda created: render(
            request,
            "dashboard/webhooks_created.html",
            {"endpoint": created[0], "secret": created[1]},
        ),
        refused=page,
    )


@login_required
@require_GET
def endpoint_detail(request, pk: int):
    _require_lead(request.user)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    return render(
        request,
        "dashboard/webhooks_detail.html",
        {"endpoint": endpoint, "deliveries": endpoint.deliveries.all()[:ENDPOINT_DELIVERIES]},
    )


@login_required
@require_POST
@step_up_required
def endpoint_delete(request, pk: int):
    _require_lead(request.user)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Webhook endpoint “{endpoint.name}” deleted.")
    return redirect("webhooks:list")
