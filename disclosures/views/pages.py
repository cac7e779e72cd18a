"""The disclosure pages: the detail page, starting a draft from an incident, the
exports of the approved text, and the leads' templates."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods

import audit
from core.fetch_metadata import require_same_origin_for_get
from core.http import attachment_disposition
from core.views import CONFLICT, form_post, login_required
from disclosures import forms, prefill, selectors, services
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Audience, DisclosureTemplate, Regime
from disclosures.views.common import render_detail
from incidents.selectors import incident_get

EXPORTABLE = frozenset({DisclosureStatus.APPROVED, DisclosureStatus.PUBLISHED})


@login_required
@require_GET
def disclosure_detail(request, pk):
    """The draft, its versions and diffs, approvals, deadlines and checklist (404 when
    the incident is out of the person's sight)."""
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    return render_detail(request, disclosure)


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_new(request, incident_pk):
    """Start a draft for an incident: its text is prefilled from the incident's facts."""
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("disclosures.add_disclosure"):
        raise PermissionDenied("You are not allowed to draft disclosures.")
    form = forms.NewDisclosureForm(request.POST or None)

    def page(status=200):
        context = {"incident": incident, "form": form}
        return render(request, "disclosures/new.html", context, status=status)

    if request.method != "POST":
        return page()

    def created(disclosure):
        messages.success(request, "Draft created from the incident's facts.")
        return redirect("disclosures:detail", pk=disclosure.pk)

    return form_post(
        form,
        lambda data: services.disclosure_create(incident=incident, actor=request.user, **data),
        succeeded=created,
        refused=page,
    )


def _exportable(request, pk):
    disclosure = selectors.disclosure_get(user=request.user, pk=pk)
    if disclosure.status not in EXPORTABLE:
        return disclosure, render_detail(
            request,
            disclosure,
            status=CONFLICT,
            error="Only an approved or published text can be exported.",
        )
    return disclosure, None


def _export_context(disclosure) -> dict:
    version = disclosure.current_version
    return {
        "disclosure": disclosure,
        "incident": disclosure.incident,
        "version": version,
        "approvals": selectors.standing_approvals(disclosure),
        "publications": list(disclosure.publications.all()),
    }


def _record_export(request, disclosure, export_format: str) -> None:
    version = disclosure.current_version
    audit.record(
        "disclosure.exported",
        actor=request.user,
        target=disclosure,
        data={"format": export_format, "version": version.number, "sha256": version.sha256},
    )


@require_same_origin_for_get  # an export is audited: not from a link on another site
@login_required
@require_GET
def disclosure_export_markdown(request, pk):
    """The approved text as Markdown, with what identifies and vouches for it."""
    disclosure, refused = _exportable(request, pk)
    if refused:
        return refused
    _record_export(request, disclosure, "markdown")
    text = render_to_string("disclosures/export.md", _export_context(disclosure))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    name = f"{disclosure.incident.reference}-disclosure-{disclosure.pk}"
    name += f"-v{disclosure.current_version.number}.md"
    response["Content-Disposition"] = attachment_disposition(name)
    return response


@require_same_origin_for_get  # an export is audited: not from a link on another site
@login_required
@require_GET
def disclosure_export_print(request, pk):
    """The approved text as a print-ready page."""
    disclosure, refused = _exportable(request, pk)
    if refused:
        return refused
    _record_export(request, disclosure, "print")
    return render(request, "disclosures/print.html", _export_context(disclosure))


def _require_template_editor(user) -> None:
    if not user.has_perm("disclosures.change_disclosuretemplate"):
        raise PermissionDenied("Only leads keep the disclosure templates.")


@login_required
@require_GET
def template_list(request):
    _require_template_editor(request.user)
    saved = {(t.audience, t.regime): t for t in DisclosureTemplate.objects.all()}
    rows = [
        {"audience": audience, "regime": regime, "template": saved.get((audience, regime))}
        for audience in Audience
        for regime in Regime
    ]
    return render(request, "disclosures/templates.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, audience, regime):
    _require_template_editor(request.user)
    if audience not in Audience.values or regime not in Regime.values:
        raise Http404("No such audience or regime.")

    def page(form, status=200):
        context = {"form": form, "audience": Audience(audience), "regime": Regime(regime)}
        return render(request, "disclosures/template_edit.html", context, status=status)

    if request.method != "POST":
        body = prefill.frame_for(audience=audience, regime=regime)
        return page(forms.TemplateForm(initial={"body": body}))

    def saved(_):
        messages.success(request, "Template saved: new drafts start from it.")
        return redirect("disclosures:templates")

    form = forms.TemplateForm(request.POST)
    return form_post(
        form,
        lambda data: services.template_save(
            actor=request.user, audience=audience, regime=regime, **data
        ),
        succeeded=saved,
        refused=lambda status: page(form, status),
    )
