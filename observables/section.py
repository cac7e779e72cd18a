"""The Observables section of an incident page: what it shows and offers, for the
template tag (the page itself) and for the section's own answers (htmx)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string

from observables import forms, selectors

PER_PAGE = 50


def abilities(user) -> dict[str, bool]:
    return {
        "read": selectors.reads_observables(user) or user.has_perm("observables.add_observable"),
        "add": user.has_perm("observables.add_observable"),
        "change": user.has_perm("observables.change_observable"),
        "delete": user.has_perm("observables.delete_observable"),
        "export": selectors.reads_observables(user),
    }


def section_context(request, incident, *, state: dict | None = None) -> dict:
    """The section's context. `state` holds what a post left to show: the paste form
    with its per-line results (`paste_form`, `lines`), a `notice`, a refused edit or
    delete form (`bound`, keyed by observable id)."""
    state = state or {}
    user = request.user
    filter_form = forms.FilterForm(request.GET)
    observables = selectors.incident_observables(
        user=user, incident=incident, **filter_form.filters()
    )
    page = Paginator(observables, PER_PAGE).get_page(request.GET.get("obs_page"))
    rows = list(page.object_list)
    related = selectors.related_incidents(user=user, incident=incident, observables=rows)
    bound = state.get("bound", {})
    return {
        "incident": incident,
        "can": abilities(user),
        "filter_form": filter_form,
        "filtered": any(filter_form.filters().values()),
        "page": page,
        "rows": [
            {
                "observable": observable,
                "shown": observable.shown,
                "related": related.get(observable.pk),
                "edit_form": bound.get(("edit", observable.pk))
                or forms.ObservableEditForm(observable=observable),
                "delete_form": bound.get(("delete", observable.pk))
                or forms.DeleteForm(prefix=f"delete{observable.pk}"),
            }
            for observable in rows
        ],
        "shared_with": selectors.shared_with(user=user, incident=incident),
        "paste_form": state.get("paste_form") or forms.PasteForm(),
        "import_form": state.get("import_form") or forms.ImportForm(),
        "lines": state.get("lines"),
        "notice": state.get("notice"),
        "request": request,
    }


def render_section(request, incident, *, state=None, status=200) -> str:
    return render_to_string(
        "observables/partials/incident_section.html",
        section_context(request, incident, state=state),
        request=request,
    )
