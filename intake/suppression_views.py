"""Suppression rules in the browser: leads add and end them; triagers see them with
how many alerts each has suppressed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.views import form_post, login_required
from intake import services
from intake.forms import SuppressionRuleForm
from intake.models import SuppressionRule


def _page(request, form, status=200):
    context = {
        "rules": SuppressionRule.objects.select_related("created_by").order_by("-id")[:200],
        "form": form,
        "may_add": request.user.has_perm("intake.add_suppressionrule"),
    }
    return render(request, "intake/suppression.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def suppression_rules(request):
    if not request.user.has_perm("intake.view_suppressionrule"):
        raise PermissionDenied("Suppression rules are for those who triage.")
    if request.method == "GET":
        return _page(request, SuppressionRuleForm())
    form = SuppressionRuleForm(request.POST)

    def succeeded(rule):
        messages.success(request, f"Suppression rule #{rule.pk} is on.")
        return redirect("intake:suppression")

    return form_post(
        form,
        lambda data: services.suppression_rule_add(actor=request.user, **data),
        succeeded=succeeded,
        refused=lambda status: _page(request, form, status),
    )


@login_required
@require_POST
def suppression_rule_end(request, pk: int):
    if not request.user.has_perm("intake.view_suppressionrule"):
        raise PermissionDenied("Suppression rules are for those who triage.")
    rule = get_object_or_404(SuppressionRule, pk=pk)
    services.suppression_rule_end(rule=rule, actor=request.user)
    messages.success(request, f"Suppression rule #{rule.pk} has ended.")
    return redirect("intake:suppression")
