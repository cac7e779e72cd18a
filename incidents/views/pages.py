"""The incident pages: the filing form and the detail page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.views import UNPROCESSABLE, login_required
from incidents import selectors, services
from incidents.forms import IncidentFileForm, apply_service_errors
from incidents.views.common import detail_context


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request):
    """File an incident (incidents.services.incident_file)."""
    if not request.user.has_perm("incidents.add_incident"):
        raise PermissionDenied("You are not allowed to file incidents.")
    status = 200
    if request.method == "POST":
        form = IncidentFileForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_file(
                    reporter=request.user,
                    title=form.cleaned_data["title"],
                    severity=form.cleaned_data["severity"],
                    **form.service_fields(),
                )
            except ValidationError as error:
                apply_service_errors(form, error, rename=form.custom_renames())
            else:
                messages.success(request, f"{incident.reference} was filed.")
                return redirect("incidents:detail", pk=incident.pk)
        status = UNPROCESSABLE
    else:
        form = IncidentFileForm(type_key=request.GET.get("type", ""))
    return render(request, "incidents/new.html", {"form": form}, status=status)


@login_required
@require_GET
def incident_detail(request, pk):
    """Everything about one incident; 404 when the person may not see it (never 403)."""
    incident = selectors.incident_detail(user=request.user, pk=pk)
    return render(request, "incidents/detail.html", detail_context(request, incident))
