"""/audit/: the audit log viewer for auditors and leads, with filtered exports.

It lives in dashboard (which may read every app) rather than in audit, because the
export needs accounts' step-up and audit imports no domain app.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

import audit
from accounts.twofactor import step_up_required
from audit import checkpoints, signing
from audit.bundle import BundleNotReady
from audit.models import AuditEvent, Outcome
from audit.sequencer import merge_delay, sequence_pending
from audit.services import chain_status, verify_chain_incrementally
from core.csv import csv_response
from core.fields import BoundedIntegerField
from core.http import attachment_disposition
from core.views import login_required
from dashboard.proof_bundle import incident_bundle
from incidents.models import Incident

PAGE_SIZE = 50
EXPORT_CHUNK = 2_000
EXPORT_FIELDS = (
    "id",
    "created_at",
    "action",
    "outcome",
    "actor_label",
    "target_type__app_label",
    "target_type__model",
    "target_id",
    "target_label",
    "data",
    "request_id",
    "ip",
    "user_agent",
    "position",
    "leaf_hash",
    "prev_hash",
    "hash",
)


class AuditFilterForm(forms.Form):
    since = forms.DateTimeField(required=False, label="From (UTC)")
    until = forms.DateTimeField(required=False, label="Until (UTC)")
    actor = forms.CharField(required=False, max_length=150, label="Actor (user name)")
    action = forms.CharField(required=False, max_length=64, help_text="Prefix, e.g. login.")
    target = forms.CharField(
        required=False, max_length=120, label="Object", help_text="e.g. incidents.incident:42"
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *Outcome.choices])
    before = BoundedIntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_target(self):
        value = self.cleaned_data["target"].strip()
        if not value:
            return None
        label, _, object_id = value.partition(":")
        app_label, _, model = label.partition(".")
        if not app_label or not model:
            raise forms.ValidationError("Write app.model or app.model:id.")
        return app_label.lower(), model.lower(), object_id.strip()


def _require_reader(user) -> None:
    if not user.has_perm("audit.view_auditevent"):
        raise PermissionDenied("The audit log is for auditors and leads.")


def filtered_events(form: AuditFilterForm):
    events = AuditEvent.objects.select_related("target_type").order_by("-id")
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    if data["since"]:
        events = events.filter(created_at__gte=data["since"])
    if data["until"]:
        events = events.filter(created_at__lte=data["until"])
    if data["actor"]:
        events = events.filter(actor_label=data["actor"])
    if data["action"]:
        events = events.filter(action__startswith=data["action"])
    if data["outcome"]:
        events = events.filter(outcome=data["outcome"])
    if data["target"]:
        app_label, model, object_id = data["target"]
        events = events.filter(target_type__app_label=app_label, target_type__model=model)
        if object_id:
            events = events.filter(target_id=object_id)
    return events


@login_required
@require_GET
def event_list(request):
    _require_reader(request.user)
    form = AuditFilterForm(request.GET or None)
    events = filtered_events(form) if request.GET else AuditEvent.objects.order_by("-id")
    before = form.cleaned_data.get("before") if form.is_bound and form.is_valid() else None
    if before:
        events = events.filter(id__lt=before)
    page = list(events.select_related("target_type")[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("before", None)
    if has_more:
        query["before"] = page[-1].id
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "events": page,
            "next_query": query.urlencode() if has_more else None,
            "chain": chain_status(),
            "log": _log_status(),
            "filter_query": request.GET.urlencode(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _log_status() -> dict:
    """The transparency log at a glance: the latest signed checkpoint, how long events
    wait for their position, and the key anyone can check checkpoints with."""
    key = signing.log_key()
    return {
        "checkpoint": checkpoints.latest(),
        "delay": merge_delay(),
        "origin": key.name,
        "verifier_key": key.verifier_key,
        "public_key_pem": key.public_pem,
    }


@login_required
@require_http_methods(["POST"])
def verify_now(request):
    """Verify the chain now, in this process (continuing from the last verification),
    rather than waiting for beat: the embedded default has none."""
    _require_reader(request.user)
    verify_chain_incrementally()
    checkpoints.publish(force=True)
    return redirect("audit_log:list")


@login_required
@require_GET
def event_detail(request, pk: int):
    _require_reader(request.user)
    event = get_object_or_404(AuditEvent.objects.select_related("target_type", "actor"), pk=pk)
    return render(
        request,
        "audit/detail.html",
        {"event": event, "data": json.dumps(event.data, indent=2, ensure_ascii=False)},
    )


def _rows(events):
    for row in events.values(*EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK):
        row["target_type"] = (
            f"{row.pop('target_type__app_label')}.{row.pop('target_type__model')}"
            if row.get("target_type__app_label")
            else ""
        )
        row.pop("target_type__app_label", None)
        row.pop("target_type__model", None)
        yield row


@login_required
@require_http_methods(["POST"])
@step_up_required
def export(request, fmt: str):
    """A filtered range as JSON Lines or CSV. Sensitive (the whole trail): step-up, audited."""
    _require_reader(request.user)
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return render(request, "audit/list.html", {"form": form, "events": []}, status=400)
    # Whatever has committed gets its position and hashes first, so the export has them.
    sequence_pending()
    events = filtered_events(form).order_by("id")
    audit.record(
        "audit.exported",
        actor=request.user,
        data={"format": fmt, "filters": {k: str(v) for k, v in form.cleaned_data.items() if v}},
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    filename = f"cordon-audit-{stamp}.{fmt}"
    if fmt == "jsonl":
        body = (
            json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"
            for row in _rows(events)
        )
        response = StreamingHttpResponse(body, content_type="application/x-ndjson")
        response["Content-Disposition"] = attachment_disposition(filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response
    header = [*EXPORT_FIELDS[:5], "target_type", *EXPORT_FIELDS[7:]]
    rows = (
        [json.dumps(row[k], ensure_ascii=False) if k == "data" else row[k] for k in header]
        for row in _rows(events)
    )
    return csv_response(filename, header, rows)


@login_required
@require_http_methods(["POST"])
@step_up_required
def proof_bundle(request):
    """The offline proof bundle of one incident (field `incident`: its reference)."""
    _require_reader(request.user)
    ref = request.POST.get("incident", "").strip()
    subject = Incident.objects.filter(reference__iexact=ref).first() if ref else None
    if subject is None:
        return render(
            request,
            "audit/list.html",
            {"form": AuditFilterForm(), "events": [], "log": _log_status(),
             "proof_error": f"No incident {ref}." if ref else "Name an incident (INC-…)."},
            status=400,
        )  # fmt: skip
    try:
        data, checkpoint, count = incident_bundle(subject)
    except BundleNotReady as error:
        return render(
            request,
            "audit/list.html",
            {"form": AuditFilterForm(), "events": [], "log": _log_status(),
             "proof_error": str(error)},
            status=503,
        )  # fmt: skip
    audit.record(
        "audit.proof_exported",
        actor=request.user,
        target=subject,
        data={"events": count, "tree_size": checkpoint.tree_size, "via": "web"},
    )
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = attachment_disposition(f"audit-proof-{subject.reference}.zip")
    return response
