"""Writes of the incident page's type, tags and custom fields section."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from core.errors import IllegalStateChange
from core.views import UNPROCESSABLE, form_post, is_htmx, login_required
from incidents import forms, selectors, services
from incidents.classification import section_context
from incidents.views.common import detail_url

PARTS = ("type", "tags", "fields")


def _answer(request, incident, *, bound=None, notice="", status=200):
    if is_htmx(request):
        incident = selectors.incident_detail(user=request.user, pk=incident.pk)
        context = section_context(request, incident, bound=bound, notice=notice)
        html = render_to_string("incidents/partials/classification.html", context, request=request)
        return HttpResponse(html, status=status)
    if bound:
        for form in bound.values():
            for problems in form.errors.values():
                for problem in problems:
                    messages.error(request, problem)
    elif notice:
        messages.success(request, notice)
    return redirect(detail_url(incident, "classification"))


@login_required
@require_POST
def classification_update(request, pk):
    """POST `part` = type (field `type`), tags (`tags`) or fields (`cf_<key>` each)."""
    incident = selectors.incident_get(user=request.user, pk=pk)
    part = request.POST.get("part")
    if part not in PARTS:
        form = forms.TagsForm(incident=incident, data={})
        form.add_error(None, "Say which part to change: type, tags or fields.")
        return _answer(request, incident, bound={"tags": form}, status=UNPROCESSABLE)
    if part == "type":
        form = forms.TypeChangeForm(request.POST, incident=incident)
    elif part == "tags":
        form = forms.TagsForm(request.POST, incident=incident)
    else:
        form = forms.CustomFieldsForm(request.POST, incident=incident)

    def write(data) -> tuple:
        if part == "type":
            changed = services.incident_change_type(
                incident=incident,
                actor=request.user,
                incident_type=forms.type_by_key(data["type"]),
            )
            notice = "Type changed."
            if services.missing_playbook_entries(changed):
                notice += " Its playbook's missing tasks are offered below."
            return changed, notice
        if part == "tags":
            changed = services.incident_set_tags(
                incident=incident, actor=request.user, tags=data["tags"]
            )
            return changed, "Tags saved."
        changed = services.incident_set_custom_fields(
            incident=incident, actor=request.user, values=form.custom_values()
        )
        return changed, "Fields saved."

    # A closed incident (409) or a refusal (403) is answered with the form, not a 500.
    return form_post(
        form,
        write,
        succeeded=lambda result: _answer(request, result[0], notice=result[1]),
        refused=lambda status: _answer(request, incident, bound={part: form}, status=status),
        rename=form.custom_renames() if part == "fields" else None,
    )


@login_required
@require_POST
def playbook_tasks_add(request, pk):
    """Create the chosen missing tasks of the incident type's playbook."""
    incident = selectors.incident_get(user=request.user, pk=pk)
    keys = request.POST.getlist("keys")
    try:
        tasks = services.playbook_tasks_add(incident=incident, actor=request.user, keys=keys)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(detail_url(incident, "classification"))
    except IllegalStateChange as error:
        messages.error(request, str(error))
        return redirect(detail_url(incident, "classification"))
    messages.success(request, f"{len(tasks)} playbook task{'s' if len(tasks) != 1 else ''} added.")
    return redirect(detail_url(incident, "tasks"))
