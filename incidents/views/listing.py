"""The incident list: filters, sortable columns, and each person's saved filters."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.forms import apply_service_errors
from core.views import UNPROCESSABLE, login_required
from incidents import forms, listing, selectors, services
from incidents.models import SavedFilter

INCIDENTS_PER_PAGE = 50

# Filters everyone has without saving them: (name, query string).
BUILT_IN_FILTERS = (
    ("Mine", "mine=1"),
    ("Open high and critical", f"status={listing.OPEN}&severity={listing.HIGH_AND_UP}"),
)


def _columns(query: QueryDict, current_sort: str) -> list[dict]:
    """The sortable column headers: a link that sorts by the column (or reverses it)."""
    columns = []
    for key, label in listing.SORT_LABELS.items():
        if key == "aware":
            continue  # shown, but the list's order by awareness is rarely asked for
        ascending = current_sort == key
        descending = current_sort == f"-{key}"
        linked = query.copy()
        linked.pop("page", None)
        linked["sort"] = f"-{key}" if ascending else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": f"?{linked.urlencode()}",
                "aria_sort": "ascending" if ascending else "descending" if descending else "",
            }
        )
    return columns


def _render(request, query: QueryDict, *, save_form=None, status=200):
    filter_form = forms.IncidentFilterForm(query)
    filters = filter_form.valid_filters()
    sort = filters.pop("sort", listing.DEFAULT_SORT)
    incidents = listing.incident_list(user=request.user, sort=sort, **filters)
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(query.get("page"))
    current_query = filter_form.query()
    context = {
        "filter_form": filter_form,
        "filtered": bool(filters),
        "tag_facets": selectors.tag_facets(incidents),
        "active_tag": filters.get("tag", ""),
        "mine": bool(filters.get("mine")),
        "page": page,
        "columns": _columns(query, sort),
        "may_file": request.user.has_perm("incidents.add_incident"),
        "built_in_filters": [
            {"name": name, "query": built_in, "current": built_in == current_query}
            for name, built_in in BUILT_IN_FILTERS
        ],
        "saved_filters": [
            {"saved": saved, "current": saved.query == current_query}
            for saved in SavedFilter.objects.filter(owner=request.user)
        ],
        "save_form": save_form or forms.SavedFilterForm(initial={"query": current_query}),
    }
    if filter_form.errors:
        status = 400
    return render(request, "incidents/list.html", context, status=status)


@login_required
@require_GET
def incident_list(request):
    """Incidents the person may see (the need-to-know gate), filtered, sorted, paginated.
    A filter or sort key it does not know is reported, ignored, and answered with 400."""
    return _render(request, request.GET)


@login_required
@require_POST
def saved_filter_save(request):
    """Save the list's filters under a name; the query is parsed again by the filter
    form, so only what it accepts is kept."""
    form = forms.SavedFilterForm(request.POST)
    query = QueryDict(
        request.POST.get("query", "")[: SavedFilter._meta.get_field("query").max_length]
    )
    if form.is_valid():
        accepted = forms.IncidentFilterForm(query).query()
        try:
            saved = services.saved_filter_save(
                owner=request.user, name=form.cleaned_data["name"], query=accepted
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Saved the filter “{saved.name}”.")
            return redirect(f"{reverse('incidents:list')}?{saved.query}")
    return _render(request, query, save_form=form, status=UNPROCESSABLE)


@login_required
@require_POST
def saved_filter_delete(request, pk):
    """Delete one of one's own saved filters (someone else's is 404)."""
    saved = get_object_or_404(SavedFilter, pk=pk, owner=request.user)
    name = saved.name
    services.saved_filter_delete(saved_filter=saved, actor=request.user)
    messages.success(request, f"Deleted the saved filter “{name}”.")
    return redirect("incidents:list")
