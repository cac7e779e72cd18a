"""/incidents/<pk>/report/: one printable report of an incident, for leads, managers,
legal and auditors (dashboard.access). Out of sight is 404 first; a visible incident
and a role without access is 403. Generating it is audited, so a link to it on another
site is refused rather than followed (core.fetch_metadata)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.fetch_metadata import require_same_origin_for_get
from core.views import login_required
from dashboard import services
from dashboard.access import INCIDENT_REPORT_ROLES, may_generate_incident_report
from dashboard.report import incident_report
from incidents.selectors import incident_get


@require_same_origin_for_get
@login_required
@require_GET
def incident_report_page(request, pk: int):
    incident_get(user=request.user, pk=pk)  # 404 when out of sight, whoever asks
    if not may_generate_incident_report(request.user):
        roles = ", ".join(str(role.label).lower() for role in INCIDENT_REPORT_ROLES)
        raise PermissionDenied(f"Incident reports are for these roles: {roles}.")
    report = incident_report(user=request.user, pk=pk)
    services.incident_report_generated(
        incident=report.incident, actor=request.user, sections=report.section_counts()
    )
    return render(
        request,
        "dashboard/report.html",
        {
            "report": report,
            "incident": report.incident,
            "generated_at": timezone.now(),
            "today": timezone.localdate(),
        },
    )
