"""Observables in the browser: the incident page's section (paste many, edit, mark,
delete with a reason, filter) and the search of a value across every incident in sight.

Each write is a POST that calls one service. With htmx the answer is the section again;
without it, a redirect back to the incident page with a message, or the page again
with the refused form (422; 403 for a refusal of the person).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from core.forms import apply_service_errors
from core.views import FORBIDDEN, HTMX_HEADER, UNPROCESSABLE, is_htmx, login_required
from incidents.selectors import incident_detail, incident_get
from incidents.views.common import detail_context
from observables import forms, selectors, services
from observables.paste import parse
from observables.section import render_section
from observables.services import ObservableInput
from observables.values import ObservableType, Source

PAYLOAD_TOO_LARGE = 413
OUTCOMES = {(True, False): "added", (False, True): "updated", (False, False): "already there"}


def _section_url(incident) -> str:
    return reverse("incidents:detail", args=[incident.pk]) + "#section-observables"


def answer(request, incident, *, state=None, status=200, notice=None):
    """The section (htmx), a redirect with `notice` (success without htmx), or the whole
    page with the refused form (a refusal without htmx)."""
    state = {**(state or {}), "notice": notice or (state or {}).get("notice")}
    if is_htmx(request):
        response = HttpResponse(render_section(request, incident, state=state), status=status)
        patch_vary_headers(response, [HTMX_HEADER])
        return response
    if status < 300 and not state.get("lines"):
        if notice:
            messages.success(request, notice)
        return redirect(_section_url(incident))
    page = incident_detail(user=request.user, pk=incident.pk)
    context = {**detail_context(request, page), "observables_state": state}
    return render(request, "incidents/detail.html", context, status=status)


def _too_large(request) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return length.isdigit() and int(length) > settings.OBSERVABLES_MAX_REQUEST_BYTES


@login_required
@require_GET
def section(request, incident_pk):
    """The section alone (htmx filters and pages); the incident page otherwise."""
    incident = incident_get(user=request.user, pk=incident_pk)
    if not is_htmx(request):
        query = request.GET.urlencode()
        return redirect(reverse("incidents:detail", args=[incident.pk]) + f"?{query}")
    return answer(request, incident)


@login_required
@require_POST
def paste(request, incident_pk):
    """Many values at once, one per line: checked line by line (`check`), or added."""
    if _too_large(request):
        return HttpResponse(
            "The paste is larger than this server takes at once; split it.",
            status=PAYLOAD_TOO_LARGE,
            content_type="text/plain; charset=utf-8",
        )
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("observables.add_observable"):
        raise PermissionDenied("You are not allowed to add observables.")
    form = forms.PasteForm(request.POST)
    if not form.is_valid():
        return answer(request, incident, state={"paste_form": form}, status=UNPROCESSABLE)
    data = form.cleaned_data
    lines = parse(data["text"], type_=data["type"] or None)
    recognised = [line for line in lines if line.recognised]
    if request.POST.get("check") or not recognised:
        status = 200 if recognised else UNPROCESSABLE
        if not recognised:
            form.add_error("text", "No line was recognised: nothing was added.")
        return answer(request, incident, state={"paste_form": form, "lines": lines}, status=status)
    items = [
        ObservableInput(
            type=line.type or ObservableType.OTHER,
            value=line.text,
            tlp=data["tlp"] or None,
            pap=data["pap"] or None,
            is_ioc=data["is_ioc"] or None,
            tags=data["tags"] or None,
        )
        for line in recognised
    ]
    try:
        added = services.observables_add(
            incident=incident, actor=request.user, items=items, source=Source.MANUAL
        )
    except ValidationError as error:
        apply_service_errors(form, error, rename={"value": "text"})
        return answer(request, incident, state={"paste_form": form, "lines": lines}, status=422)
    for line, entry in zip(recognised, added, strict=True):
        line.outcome = OUTCOMES[(entry.created, entry.updated)]
    counts = {
        outcome: sum(line.outcome == outcome for line in recognised)
        for outcome in OUTCOMES.values()
    }
    refused = len(lines) - len(recognised)
    notice = (
        f"{counts['added']} added, {counts['updated']} updated, "
        f"{counts['already there']} already there, {refused} refused."
    )
    if refused and not is_htmx(request):
        messages.warning(request, notice)
        return answer(request, incident, state={"lines": lines, "notice": notice})
    state = {"lines": lines} if is_htmx(request) else None
    return answer(request, incident, state=state, notice=notice)


def _observable(request, pk):
    return get_object_or_404(
        selectors.visible_observables(request.user).select_related("incident"), pk=pk
    )


def _write(request, observable, form, bound_key, write, notice):
    incident = observable.incident
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except PermissionDenied as error:
            apply_service_errors(form, error)
            return answer(request, incident, state={"bound": {bound_key: form}}, status=FORBIDDEN)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return answer(request, incident, notice=notice)
    return answer(request, incident, state={"bound": {bound_key: form}}, status=UNPROCESSABLE)


@login_required
@require_POST
def edit(request, pk):
    observable = _observable(request, pk)
    if not request.user.has_perm("observables.change_observable"):
        raise PermissionDenied("You are not allowed to change observables.")
    form = forms.ObservableEditForm(request.POST, observable=observable)
    return _write(
        request,
        observable,
        form,
        ("edit", observable.pk),
        lambda data: services.observable_update(observable=observable, actor=request.user, **data),
        f"{observable.normalized_value} was updated.",
    )


@login_required
@require_POST
def mark(request, pk):
    """Mark an observable as an IOC or sighted, or take the mark away."""
    observable = _observable(request, pk)
    if not request.user.has_perm("observables.change_observable"):
        raise PermissionDenied("You are not allowed to change observables.")
    flag = request.POST.get("flag")
    if flag not in ("is_ioc", "sighted"):
        return HttpResponse("Mark is_ioc or sighted.", status=400, content_type="text/plain")
    on = request.POST.get("on") == "1"
    services.observable_update(observable=observable, actor=request.user, **{flag: on})
    what = {"is_ioc": "an IOC", "sighted": "sighted"}[flag]
    notice = f"{observable.normalized_value} is {'' if on else 'no longer '}{what}."
    return answer(request, observable.incident, notice=notice)


@login_required
@require_POST
def delete(request, pk):
    observable = _observable(request, pk)
    if not request.user.has_perm("observables.delete_observable"):
        raise PermissionDenied("You are not allowed to delete observables.")
    form = forms.DeleteForm(request.POST, prefix=f"delete{observable.pk}")
    return _write(
        request,
        observable,
        form,
        ("delete", observable.pk),
        lambda data: services.observable_delete(
            observable=observable, actor=request.user, reason=data["reason"]
        ),
        f"{observable.normalized_value} was deleted.",
    )


SEARCH_LIMIT = 200


@login_required
@require_GET
def search(request):
    """Every incident in the person's sight that holds a value (normalised first,
    defanged accepted)."""
    form = forms.SearchForm(request.GET)
    hits, searched = [], False
    if form.is_valid() and form.cleaned_data["q"].strip():
        searched = True
        hits = list(
            selectors.lookup(
                user=request.user,
                value=form.cleaned_data["q"],
                type=form.cleaned_data["type"] or None,
            )[: SEARCH_LIMIT + 1]
        )
    context = {
        "form": form,
        "searched": searched,
        "hits": hits[:SEARCH_LIMIT],
        "more": len(hits) > SEARCH_LIMIT,
        "limit": SEARCH_LIMIT,
    }
    return render(request, "observables/search.html", context, status=400 if form.errors else 200)
