"""The intake queue in the browser: alerts newest first with filters and counts, bulk
triage on a selection, and one alert's page with its raw payload (as text) and merge
suggestions within need-to-know."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.views import form_post, login_required
from incidents.selectors import visible_incidents
from intake import selectors, services
from intake.forms import AlertFilterForm, BulkActionForm
from intake.models import OPEN_STATUSES

ALERTS_PER_PAGE = 50


def _require_queue(user) -> None:
    if not user.has_perm("intake.view_alert"):
        raise PermissionDenied("The alert queue is for those who triage.")


def _queue_page(request, *, bulk_form=None, status=None):
    filter_form = AlertFilterForm(request.GET)
    filters = filter_form.valid_filters()
    alerts = selectors.filtered_alerts(user=request.user, **filters).select_related("incident")
    counts = selectors.status_counts(user=request.user)
    paginator = Paginator(alerts, ALERTS_PER_PAGE)
    # The counts per status answer the paginator's count without another scan when the
    # only filter is the status (or there is none).
    if not filters:
        paginator.count = sum(counts.values())
    elif set(filters) == {"status"}:
        paginator.count = counts.get(filters["status"], 0)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "filtered": bool(filters),
        "page": page,
        "counts": counts,
        "visible_incidents": selectors.visible_incident_ids(user=request.user, alerts=page),
        "bulk_form": bulk_form or BulkActionForm(),
        "open_statuses": OPEN_STATUSES,
    }
    if status is None:
        status = 400 if filter_form.errors else 200
    return render(request, "intake/queue.html", context, status=status)


@login_required
@require_GET
def queue(request):
    _require_queue(request.user)
    return _queue_page(request)


@login_required
@require_GET
def alert_detail(request, pk: int):
    alert = selectors.alert_get(user=request.user, pk=pk)
    _require_queue(request.user)
    context = {
        "alert": alert,
        "observables": list(alert.observables.all()),
        "visible_incidents": selectors.visible_incident_ids(user=request.user, alerts=[alert]),
        "suggestions": selectors.merge_suggestions(user=request.user, alert=alert),
        "bulk_form": BulkActionForm(),
    }
    return render(request, "intake/detail.html", context)


def _incident(user, value: str):
    value = value.strip()
    incidents = visible_incidents(user)
    if value.isdigit():
        return get_object_or_404(incidents, pk=int(value))
    return get_object_or_404(incidents, reference__iexact=value)


@login_required
@require_POST
def bulk(request):
    """One action on the selected alerts (each must be in sight, or 404)."""
    _require_queue(request.user)
    form = BulkActionForm(request.POST)

    def write(data):
        ids = set(data["alerts"])
        alerts = list(selectors.visible_alerts(request.user).filter(pk__in=ids))
        if len(alerts) != len(ids):
            raise Http404("No such alert.")
        action = data["action"]
        if action == form.ACKNOWLEDGE:
            services.alerts_acknowledge(alerts=alerts, actor=request.user)
            return f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} acknowledged.", None
        if action == form.IGNORE:
            services.alerts_ignore(alerts=alerts, actor=request.user, reason=data["reason"])
            return f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} ignored.", None
        if action == form.ESCALATE:
            incident = services.alerts_escalate(alerts=alerts, actor=request.user)
            return f"{incident.reference} was filed from {len(alerts)} alert(s).", incident
        incident = _incident(request.user, data["incident"])
        services.alerts_merge(alerts=alerts, incident=incident, actor=request.user)
        return f"{len(alerts)} alert(s) merged into {incident.reference}.", incident

    def succeeded(result):
        notice, incident = result
        messages.success(request, notice)
        if incident is not None:
            return redirect("incidents:detail", pk=incident.pk)
        return redirect("intake:queue")

    def refused(status):
        return _queue_page(request, bulk_form=form, status=status)

    return form_post(form, write, succeeded=succeeded, refused=refused)


@login_required
@require_POST
def unmerge(request, pk: int):
    _require_queue(request.user)
    alert = selectors.alert_get(user=request.user, pk=pk)
    services.alert_unmerge(alert=alert, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, f"Alert #{alert.pk} was taken out of its incident.")
    return redirect("intake:detail", pk=alert.pk)
