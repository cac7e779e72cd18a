"""The post-incident review page, its writes, and the tracker of action items.

Objects are looked up through the selectors (the need-to-know gate), so a review of
an incident the person cannot see is 404. Each write is a POST to its own URL that
calls one service and redirects back to the section it changed; a refused write shows
the page again with the error (422). An action item's status also changes in place
with htmx (the HX-Request header): the answer is its table row.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from core.views import HTMX_HEADER, UNPROCESSABLE, form_post, is_htmx, login_required
from incidents import forms, selectors, services
from incidents.lifecycle import Status
from incidents.models import PostIncidentReview, ReviewSectionKind
from incidents.views.common import require

ACTION_ITEMS_PER_PAGE = 50
REVIEWABLE_STATUSES = (Status.REVIEW, Status.CLOSED)
RETURN_TO_TRACKER = "tracker"
MAX_RETURN_QUERY_LENGTH = 500


def review_url(incident_pk, anchor: str | None = None) -> str:
    url = reverse("incidents:review", args=[incident_pk])
    return f"{url}#{anchor}" if anchor else url


def _may_change_item(user, item, may_edit: bool) -> bool:
    return may_edit or item.owner_id == user.pk


def review_context(request, review: PostIncidentReview, *, bound=None, errors=()) -> dict:
    """Everything the review page shows. `bound` holds refused forms keyed by
    (form name, object id), to show again with their errors."""
    user = request.user
    bound = bound or {}
    incident = review.incident
    may_edit = services.may_edit_review(user, incident)
    editable = may_edit and not review.is_completed
    # Who may own an item: read once for every owner list on the page.
    people = forms.People(forms.TaskAddForm.assignable(incident)) if may_edit else None
    sections = []
    for section in review.sections.all():
        items = [
            {
                "item": item,
                "may_change": _may_change_item(user, item, may_edit),
                "form": bound.get(("status", item.pk)) or forms.ActionItemStatusForm(item=item),
                "edit_form": (
                    bound.get(("edit", item.pk))
                    or forms.ActionItemEditForm(item=item, incident=incident, people=people)
                )
                if may_edit
                else None,
            }
            for item in section.action_items.all()
        ]
        sections.append(
            {
                "section": section,
                "guidance": section.guidance,
                "is_root_cause": section.kind == ReviewSectionKind.ROOT_CAUSE,
                "form": bound.get(("section", section.pk))
                or forms.ReviewSectionForm(section=section),
                "finding_form": bound.get(("finding", section.pk))
                or forms.FindingForm(section=section),
                "item_form": bound.get(("item", section.pk)),
                "items": items,
            }
        )
    return {
        "incident": incident,
        "review": review,
        "sections": sections,
        "action_item_form": (
            bound.get("action_item")
            or forms.ReviewActionItemForm(review=review, incident=incident, people=people)
        )
        if editable
        else None,
        "editable": editable,
        "may_complete": editable,
        "may_reopen": may_edit and review.is_completed,
        "required_for_closing": services.review_required(incident),
        "errors": list(errors),
    }


def _submit(request, pk, *, form, bound_key, write, notice, anchor):
    """The review's form posts (core.views.form_post): a valid `form` goes to `write`
    (a service, given the cleaned data); then back to the `anchor` on the page with
    `notice(result)`. A refusal shows the page again with `form` bound under `bound_key`."""

    def succeeded(result):
        messages.success(request, notice(result))
        return redirect(review_url(pk, anchor))

    return form_post(
        form,
        write,
        succeeded=succeeded,
        refused=lambda status: _refused(request, pk, bound={bound_key: form}, status=status),
    )


def _refused(request, pk, *, bound=None, errors=(), status=UNPROCESSABLE):
    review = selectors.review_get(user=request.user, incident_pk=pk)
    context = review_context(request, review, bound=bound, errors=errors)
    return render(request, "incidents/review.html", context, status=status)


@login_required
@require_GET
def review_page(request, pk):
    """The incident's review; 404 when the incident is out of sight or has no review yet."""
    review = selectors.review_get(user=request.user, incident_pk=pk)
    return render(request, "incidents/review.html", review_context(request, review))


@login_required
@require_POST
def review_start(request, pk):
    """Start the review of an incident that reached review before reviews existed
    (entering review starts it otherwise)."""
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(services.may_edit_review(request.user, incident))
    if incident.status not in REVIEWABLE_STATUSES:
        return HttpResponseBadRequest("The review starts when the incident reaches review.")
    services.review_start(incident=incident, actor=request.user)
    return redirect(review_url(pk))


@login_required
@require_POST
def review_section_update(request, pk, section_pk):
    section = selectors.review_section_get(user=request.user, incident_pk=pk, pk=section_pk)
    require(services.may_edit_review(request.user, section.review.incident))
    return _submit(
        request,
        pk,
        form=forms.ReviewSectionForm(request.POST, section=section),
        bound_key=("section", section.pk),
        write=lambda data: services.review_section_update(
            section=section, actor=request.user, body=data["body"]
        ),
        notice=lambda _: f"{section.get_kind_display()} saved.",
        anchor=f"section-{section.kind}",
    )


@login_required
@require_POST
def finding_add(request, pk, section_pk):
    section = selectors.review_section_get(user=request.user, incident_pk=pk, pk=section_pk)
    require(services.may_edit_review(request.user, section.review.incident))
    return _submit(
        request,
        pk,
        form=forms.FindingForm(request.POST, section=section),
        bound_key=("finding", section.pk),
        write=lambda data: services.finding_add(
            section=section, actor=request.user, body=data["body"]
        ),
        notice=lambda _: "Finding added.",
        anchor=f"section-{section.kind}",
    )


@login_required
@require_POST
def action_item_add(request, pk, section_pk):
    section = selectors.review_section_get(user=request.user, incident_pk=pk, pk=section_pk)
    incident = section.review.incident
    require(services.may_edit_review(request.user, incident))
    return _submit(
        request,
        pk,
        form=forms.ActionItemAddForm(request.POST, section=section, incident=incident),
        bound_key=("item", section.pk),
        write=lambda data: services.action_item_add(section=section, actor=request.user, **data),
        notice=lambda item: f"Action item “{item.title}” added.",
        anchor=f"section-{section.kind}",
    )


@login_required
@require_POST
def review_action_item_add(request, pk):
    """The page's one action-item form: POST `section` (a section id of this review),
    `title`, `owner`, `due_date`, `ticket_url`."""
    review = selectors.review_get(user=request.user, incident_pk=pk)
    incident = review.incident
    require(services.may_edit_review(request.user, incident))
    form = forms.ReviewActionItemForm(request.POST, review=review, incident=incident)

    def write(data):
        data = dict(data)
        section = data.pop("section")
        return services.action_item_add(section=section, actor=request.user, **data)

    return _submit(
        request,
        pk,
        form=form,
        bound_key="action_item",
        write=write,
        notice=lambda item: (
            f"Action item “{item.title}” added under {item.section.get_kind_display()}."
        ),
        anchor="add-action-item",
    )


def _item_row(request, item, form, *, tracker: bool, may_change: bool, notice="", status=200):
    """The htmx answer to a status change: the item's table row, as the page shows it."""
    context = {
        "item": item,
        "form": form,
        "may_change": may_change,
        "tracker": tracker,
        "query": request.POST.get("return_query", ""),
        "notice": notice,
    }
    response = render(request, "incidents/partials/action_item_row.html", context, status=status)
    patch_vary_headers(response, [HTMX_HEADER])
    return response


@login_required
@require_POST
def action_item_status(request, pk, item_pk):
    item = selectors.action_item_get(user=request.user, incident_pk=pk, pk=item_pk)
    may_edit = services.may_edit_review(request.user, item.incident)
    require(_may_change_item(request.user, item, may_edit))
    form = forms.ActionItemStatusForm(request.POST, item=item)
    to_tracker = request.POST.get("return_to") == RETURN_TO_TRACKER

    def succeeded(item):
        notice = f"“{item.title}” is now {item.get_status_display().lower()}."
        if is_htmx(request):
            # The row stays while its status changes (a closed item leaves the
            # tracker's default view on the next load, not under the person's cursor).
            fresh = forms.ActionItemStatusForm(item=item)
            return _item_row(
                request, item, fresh, tracker=to_tracker, may_change=True, notice=notice
            )
        messages.success(request, notice)
        if to_tracker:
            return redirect(_tracker_url(request.POST.get("return_query", "")))
        return redirect(review_url(pk, f"item-{item.pk}"))

    def refused(status):
        if is_htmx(request):
            return _item_row(
                request, item, form, tracker=to_tracker, may_change=True, status=status
            )
        if to_tracker:
            return HttpResponseBadRequest("Choose one of the action item statuses.")
        return _refused(request, pk, bound={("status", item.pk): form}, status=status)

    return form_post(
        form,
        lambda data: services.action_item_update(
            item=item, actor=request.user, status=data["status"]
        ),
        succeeded=succeeded,
        refused=refused,
    )


@login_required
@require_POST
def action_item_edit(request, pk, item_pk):
    """A review editor changes an item's owner, due date or ticket link."""
    item = selectors.action_item_get(user=request.user, incident_pk=pk, pk=item_pk)
    require(services.may_edit_review(request.user, item.incident))
    form = forms.ActionItemEditForm(request.POST, item=item, incident=item.incident)
    return _submit(
        request,
        pk,
        form=form,
        bound_key=("edit", item.pk),
        write=lambda _: services.action_item_update(
            item=item, actor=request.user, **form.changed_fields()
        ),
        notice=lambda _: f"“{item.title}” saved.",
        anchor=f"item-{item.pk}",
    )


@login_required
@require_POST
def review_complete(request, pk):
    review = selectors.review_get(user=request.user, incident_pk=pk)
    require(services.may_edit_review(request.user, review.incident))
    try:
        services.review_complete(review=review, actor=request.user)
    except ValidationError as error:
        return _refused(request, pk, errors=error.messages)
    messages.success(request, "The review is completed.")
    return redirect(review_url(pk))


@login_required
@require_POST
def review_reopen(request, pk):
    review = selectors.review_get(user=request.user, incident_pk=pk)
    require(services.may_edit_review(request.user, review.incident))
    try:
        services.review_reopen(review=review, actor=request.user)
    except ValidationError as error:
        return _refused(request, pk, errors=error.messages)
    messages.success(request, "The review is open for changes again.")
    return redirect(review_url(pk))


def _tracker_url(query: str) -> str:
    """The tracker with the filters the person came from (re-encoded: only a query)."""
    query = QueryDict(query[:MAX_RETURN_QUERY_LENGTH]).urlencode()
    url = reverse("incidents:action_items")
    return f"{url}?{query}" if query else url


@login_required
@require_GET
def action_item_tracker(request):
    """Action items across the incidents the person may see, soonest due first."""
    filter_form = forms.ActionItemFilterForm(request.GET, user=request.user)
    filters = filter_form.valid_filters()
    items = selectors.action_item_tracker(user=request.user, **filters)
    page = Paginator(items, ACTION_ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    may_edit = request.user.has_perm("incidents.change_incident")
    rows = [
        {
            "item": item,
            "may_change": _may_change_item(request.user, item, may_edit),
            "form": forms.ActionItemStatusForm(item=item),
        }
        for item in page
    ]
    context = {
        "filter_form": filter_form,
        "page": page,
        "rows": rows,
        "query": request.GET.urlencode(),
        "return_to": RETURN_TO_TRACKER,
        "overdue_tasks": selectors.overdue_tasks(user=request.user),
    }
    status = 400 if filter_form.errors else 200
    return render(request, "incidents/action_items.html", context, status=status)
