"""Evidence in the browser: upload from the incident page, the item's page with its
custody log, and download behind a fresh step-up."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.twofactor import PendingAction, ready_action, step_up_required
from core.fetch_metadata import is_from_another_site, require_same_origin_for_get
from core.forms import apply_service_errors
from core.views import UNPROCESSABLE, login_required
from evidence import previews, release, selectors, services
from evidence.downloads import SANDBOX_CSP, evidence_download_response
from evidence.exports import package_response
from evidence.forms import EvidenceUploadForm
from evidence.uploads import FILE_FIELD, install_upload_handler
from incidents.selectors import incident_get

PAYLOAD_TOO_LARGE = 413
SHOW_PREVIEW = "preview"
# The controls an item page or the evidence section offers ready after a step-up
# (accounts.twofactor.PendingAction): `?ready=<key>`.
READY_DOWNLOAD = "download"
READY_DOWNLOAD_ZIP = "download-zip"
READY_EXPORT = "export"


def _incident_section(incident) -> str:
    return _incident_section_of(incident.pk)


def _incident_section_of(incident_pk: int) -> str:
    return reverse("incidents:detail", args=[incident_pk]) + "#section-evidence"


def _item_page(pk: int) -> str:
    return reverse("evidence:detail", args=[pk])


def _named(item) -> str:
    return f"evidence #{item.pk} ({item.original_name})"


def _download_format(request) -> str | None:
    return (request.POST if request.method == "POST" else request.GET).get("format")


def _download_action(request, item) -> PendingAction:
    zipped = _download_format(request) == "zip"
    return PendingAction(
        label=f"Download {_named(item)}" + (" as an encrypted zip" if zipped else ""),
        page=_item_page(item.pk),
        ready=READY_DOWNLOAD_ZIP if zipped else READY_DOWNLOAD,
    )


def _export_action(request, incident) -> PendingAction:
    return PendingAction(
        label=f"Export the evidence package of {incident.reference}",
        page=_incident_section(incident),
        ready=READY_EXPORT,
    )


def _upload_page(request, incident, form, *, status=200, file_error: str = ""):
    """The upload form on a page of its own: what was typed, each error next to its
    field (the file must be chosen again: browsers never keep it)."""
    context = {"incident": incident, "form": form, "file_error": file_error}
    return render(request, "evidence/upload.html", context, status=status)


@csrf_exempt  # checked by evidence_upload_checked, once the upload handler is in place
@login_required
@require_http_methods(["GET", "POST"])
def evidence_upload(request, incident_pk):
    """GET: the upload form on its own page. POST: push a file into an incident. The
    streaming handler must be installed before anything reads the body, and the CSRF
    check reads it: so the check comes after."""
    if request.method == "GET":
        return _upload_form(request, incident_pk)
    handler = install_upload_handler(request)
    try:
        return _evidence_upload_checked(request, incident_pk, handler)
    finally:
        handler.abort()


def _upload_form(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("evidence.add_evidenceitem"):
        raise PermissionDenied("You are not allowed to add evidence.")
    return _upload_page(request, incident, EvidenceUploadForm())


@csrf_protect
def _evidence_upload_checked(request, incident_pk, handler):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("evidence.add_evidenceitem"):
        raise PermissionDenied("You are not allowed to add evidence.")
    form = EvidenceUploadForm(request.POST)
    if handler.too_large:
        return render(request, "evidence/too_large.html", {"incident": incident}, status=413)
    upload = request.FILES.get(FILE_FIELD)
    valid = form.is_valid()
    if upload is None or not valid:
        missing = "" if upload is not None else "Choose a file to upload as evidence."
        return _upload_page(request, incident, form, status=UNPROCESSABLE, file_error=missing)
    fields = form.cleaned_data
    try:
        item = services.evidence_receive(
            incident=incident,
            actor=request.user,
            uploaded_file=upload,
            kind=fields["kind"],
            description=fields["description"],
            source_host=fields["source_host"],
            source_path=fields["source_path"],
            collected_at=fields["collected_at"],
            sender_sha256=fields["sha256"],
            tlp=fields["tlp"],
        )
    except ValidationError as error:
        apply_service_errors(form, error, rename={"sender_sha256": "sha256"})
        return _upload_page(request, incident, form, status=UNPROCESSABLE)
    messages.success(request, f"Evidence #{item.pk} ({item.original_name}) was received.")
    return redirect("evidence:detail", pk=item.pk)


@login_required
@require_GET
def evidence_detail(request, pk):
    """The item, its hashes and its chain of custody; 404 when out of sight.

    `?preview=1` shows a screenshot's preview as well, after a fresh step-up (a
    preview of a screenshot is the screenshot). Asked for by a link on another site,
    the page shows its button instead: the person chooses on Cordon's own page.
    """
    item = selectors.evidence_get(user=request.user, pk=pk)
    may_preview = selectors.may_have_bytes(request.user) and previews.may_have_preview(item)
    if may_preview and request.GET.get(SHOW_PREVIEW) == "1" and not is_from_another_site(request):
        return _detail_with_preview(request, item)
    return _detail(request, item, may_preview=may_preview, show_preview=False)


@step_up_required(
    action=lambda request, item: PendingAction(
        label=f"Show the preview of screenshot #{item.pk} ({item.original_name})"
    )
)
def _detail_with_preview(request, item):
    return _detail(request, item, may_preview=True, show_preview=True)


def _detail(request, item, *, may_preview: bool, show_preview: bool):
    release.evidence_viewed(item=item, actor=request.user)
    context = {
        "item": item,
        "incident": item.incident,
        "custody": selectors.custody_log(item=item),
        "legal_hold": services.evidence_hold_active(incident=item.incident),
        "may_dispose": request.user.has_perm("evidence.dispose_evidence"),
        "may_transfer": request.user.has_perm("evidence.transfer_evidence"),
        "may_download": selectors.may_have_bytes(request.user),
        "may_preview": may_preview,
        "show_preview": show_preview,
        "ready": ready_action(request),
    }
    return render(request, "evidence/detail.html", context)


@require_same_origin_for_get(page=_item_page)
@login_required
@require_http_methods(["GET", "POST"])
def evidence_download(request, pk):
    """The bytes, as an attachment; needs a step-up younger than STEP_UP_MAX_AGE.

    The item page posts a form (CONTRACT.md); a GET is for clients without Fetch
    Metadata, or from the address bar, never from a link on another site."""
    # 404 out of sight, 403 without the bytes permission: before any step-up.
    item = selectors.evidence_bytes_get(user=request.user, pk=pk)
    return _download_after_step_up(request, item)


@step_up_required(action=_download_action)
def _download_after_step_up(request, item):
    if item.is_disposed:
        return render(request, "evidence/disposed.html", {"item": item}, status=410)
    download_format = _download_format(request)
    try:
        response = evidence_download_response(item, download_format)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    release.evidence_downloaded(
        item=item, actor=request.user, channel="browser", download_format=download_format or "raw"
    )
    return response


@require_same_origin_for_get(page=_incident_section_of)
@login_required
@require_http_methods(["GET", "POST"])
def evidence_export(request, incident_pk):
    """The incident's evidence package (zip with manifest, custody log, SHA256SUMS);
    needs the export permission and a step-up younger than STEP_UP_MAX_AGE. The
    incident page posts a form; a GET from another site is refused."""
    incident = incident_get(user=request.user, pk=incident_pk)  # 404 before anything else
    if not selectors.may_export(request.user):
        raise PermissionDenied("You are not allowed to export evidence.")
    return _export_after_step_up(request, incident)


@step_up_required(action=_export_action)
def _export_after_step_up(request, incident):
    package = release.evidence_export(incident=incident, actor=request.user, channel="browser")
    return package_response(package)


@login_required
@require_POST
def evidence_dispose(request, pk):
    """POST `reason`: remove the item's bytes, keep its record. Leads, with a step-up;
    refused while the incident's evidence is under legal hold."""
    item = selectors.evidence_get(user=request.user, pk=pk)  # 404 before anything else
    if not request.user.has_perm("evidence.dispose_evidence"):
        raise PermissionDenied("You are not allowed to dispose of evidence.")
    return _dispose_after_step_up(request, item)


@step_up_required(
    action=lambda request, item: PendingAction(label=f"Dispose of the bytes of {_named(item)}")
)
def _dispose_after_step_up(request, item):
    try:
        services.evidence_dispose(item=item, actor=request.user, reason=request.POST.get("reason"))
    except ValidationError:
        messages.error(request, "Give the reason for disposing of the bytes.")
    except services.DisposalRefused as refusal:
        messages.error(request, str(refusal))
        return render(request, "evidence/refused.html", {"item": item, "why": refusal}, status=409)
    else:
        messages.success(request, f"The bytes of evidence #{item.pk} were disposed of.")
    return redirect("evidence:detail", pk=item.pk)


@login_required
@require_POST
def evidence_transfer(request, pk):
    """POST `recipient` and `reason`: record a hand-over outside Cordon (custody event).
    Needs the transfer permission (leads, responders) and a step-up."""
    item = selectors.evidence_get(user=request.user, pk=pk)  # 404 before anything else
    if not request.user.has_perm("evidence.transfer_evidence"):
        raise PermissionDenied("You are not allowed to hand evidence over.")
    return _transfer_after_step_up(request, item)


@step_up_required(
    action=lambda request, item: PendingAction(label=f"Record a hand-over of {_named(item)}")
)
def _transfer_after_step_up(request, item):
    try:
        services.evidence_transfer(
            item=item,
            actor=request.user,
            recipient=request.POST.get("recipient", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError:
        messages.error(request, "Name who received the evidence and why.")
    else:
        messages.success(request, f"The hand-over of evidence #{item.pk} was recorded.")
    return redirect("evidence:detail", pk=item.pk)


@login_required
@require_POST
def evidence_legal_hold(request, incident_pk):
    """POST `active` (on or off) and `reason`: set or lift the legal hold (leads)."""
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("evidence.manage_legal_hold"):
        raise PermissionDenied("You are not allowed to set a legal hold.")
    active = request.POST.get("active") in {"on", "true", "1"}
    try:
        services.evidence_hold_set(
            incident=incident, actor=request.user, active=active, reason=request.POST.get("reason")
        )
    except ValidationError:
        messages.error(request, "Give the reason for the legal hold.")
    else:
        messages.success(request, "Legal hold set." if active else "Legal hold lifted.")
    return redirect(_incident_section(incident))


@require_same_origin_for_get(page=_item_page)
@login_required
@require_GET
def evidence_preview(request, pk):
    """A screenshot's thumbnail, re-rendered to PNG by Pillow (never the original
    bytes); 404 when the item is not a screenshot or its image cannot be read.

    What a download needs, a preview needs: the bytes permission (403) and a fresh
    step-up (otherwise the step-up page, no image); it is a `previewed` custody event."""
    item = selectors.evidence_bytes_get(user=request.user, pk=pk)
    return _preview_after_step_up(request, item)


@step_up_required(
    action=lambda request, item: PendingAction(
        label=f"Show the preview of screenshot #{item.pk} ({item.original_name})",
        page=_item_page(item.pk) + "?preview=1#preview",
    )
)
def _preview_after_step_up(request, item):
    png = previews.evidence_preview_png(item)
    if not png:
        raise Http404("No preview for this item.")
    release.evidence_previewed(item=item, actor=request.user)
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = 'inline; filename="preview.png"'
    return response
