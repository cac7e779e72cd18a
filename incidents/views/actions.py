"""The detail page's writes. Each is a POST to its own URL that calls one service.

Objects are looked up through the selectors, so an id from an incident the person
cannot see, or from another incident, is 404. With htmx (the HX-Request header) the
answer is the changed section; without it, a redirect back to the detail page, or
the page again with the form's errors.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import IllegalStateChange
from core.views import CONFLICT, form_post, is_htmx, login_required
from incidents import forms, selectors, services
from incidents.lifecycle import Status
from incidents.selectors import closing_warnings
from incidents.views.common import (
    Abilities,
    detail_context,
    detail_url,
    render_sections,
    require,
)


def _succeeded(request, incident_pk, section: str, notice: str, *, extra=(), keep_open=False):
    """The answer to a write that went through. `keep_open`: the section's add form
    stays open (with htmx), for the next entry of a series."""
    try:
        incident = selectors.incident_detail(user=request.user, pk=incident_pk)
    except Http404:
        # The change took the incident out of the person's sight (they left its crew).
        messages.info(request, f"{notice} You can no longer see this incident.")
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("incidents:list")
            return response
        return redirect("incidents:list")
    if is_htmx(request):
        context = detail_context(request, incident, notices={section: notice})
        context["keep_open"] = section if keep_open else ""
        return render_sections(request, context, section, extra=extra)
    messages.success(request, notice)
    return redirect(detail_url(incident, section))


def _refused(request, incident_pk, section: str, bound_key, form):
    """form_post's answer to a refused form: the section again with the form's errors."""

    def answer(status):
        incident = selectors.incident_detail(user=request.user, pk=incident_pk)
        context = detail_context(request, incident, bound={bound_key: form})
        if is_htmx(request):
            return render_sections(request, context, section, status=status)
        return render(request, "incidents/detail.html", context, status=status)

    return answer


@login_required
@require_POST
def status_change(request, pk):
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(Abilities.of(request.user, incident).change_status)
    form = forms.StatusChangeForm(request.POST, incident=incident)

    def write(data):
        if data["status"] == Status.CLOSED and not data["close_anyway"]:
            form.closing_warnings = closing_warnings(incident)
            if form.closing_warnings:
                raise ValidationError(
                    "Closing leaves work open: "
                    + "; ".join(form.closing_warnings)
                    + ". Tick “Close it anyway” to close it all the same."
                )
        return services.incident_change_status(
            incident=incident, actor=request.user, status=data["status"], reason=data["reason"]
        )

    def succeeded(incident):
        notice = f"Status changed to {incident.get_status_display()}."
        return _succeeded(request, pk, "status", notice, extra=("header", "summary", "timeline"))

    return form_post(
        form, write, succeeded=succeeded, refused=_refused(request, pk, "status", "status", form)
    )


@login_required
@require_POST
def incident_edit(request, pk):
    """Correct or complete the incident's facts (incident_update); the changes go into
    the timeline, so the header, the summary and the timeline are answered together."""
    incident = selectors.incident_get(user=request.user, pk=pk)
    can = Abilities.of(request.user, incident)
    require(can.edit_facts)
    form = forms.IncidentEditForm(request.POST, incident=incident, may_restrict=can.manage_crew)

    def write(_):
        changes = form.changes(incident)
        services.incident_update(incident=incident, actor=request.user, **changes)
        return changes

    def succeeded(changes):
        notice = "The incident was updated." if changes else "Nothing was changed."
        return _succeeded(request, pk, "summary", notice, extra=("header", "timeline"))

    return form_post(
        form,
        write,
        succeeded=succeeded,
        refused=_refused(request, pk, "summary", "summary", form),
    )


@login_required
@require_POST
def timeline_add(request, pk):
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(Abilities.of(request.user, incident).add_timeline_entry)
    form = forms.TimelineEntryForm(request.POST)
    return form_post(
        form,
        lambda data: services.timeline_entry_add(incident=incident, actor=request.user, **data),
        succeeded=lambda _: _succeeded(
            request, pk, "timeline", "Timeline entry added.", keep_open=True
        ),
        refused=_refused(request, pk, "timeline", "timeline", form),
    )


@login_required
@require_POST
def system_add(request, pk):
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(Abilities.of(request.user, incident).edit_systems)
    form = forms.SystemAddForm(request.POST)
    return form_post(
        form,
        lambda data: services.system_add(incident=incident, actor=request.user, **data),
        succeeded=lambda system: _succeeded(
            request, pk, "systems", f"{system.name} added.", keep_open=True
        ),
        refused=_refused(request, pk, "systems", "systems", form),
    )


@login_required
@require_POST
def system_edit(request, pk, system_pk):
    """Change a system's facts: its name, kind, owner and impact window."""
    system = selectors.system_get(user=request.user, incident_pk=pk, pk=system_pk)
    require(Abilities.of(request.user, system.incident).edit_systems)
    form = forms.SystemEditForm(request.POST, system=system)
    return form_post(
        form,
        lambda _: services.system_update(system=system, actor=request.user, **form.changes(system)),
        succeeded=lambda system: _succeeded(request, pk, "systems", f"{system.name} was updated."),
        refused=_refused(request, pk, "systems", ("system", system.pk), form),
    )


@login_required
@require_POST
def system_containment(request, pk, system_pk):
    system = selectors.system_get(user=request.user, incident_pk=pk, pk=system_pk)
    require(Abilities.of(request.user, system.incident).edit_systems)
    form = forms.ContainmentForm(request.POST, system=system)

    def succeeded(system):
        notice = f"{system.name} is now {system.get_containment_state_display().lower()}."
        return _succeeded(request, pk, "systems", notice)

    return form_post(
        form,
        lambda data: services.system_change_containment(system=system, actor=request.user, **data),
        succeeded=succeeded,
        refused=_refused(request, pk, "systems", ("containment", system.pk), form),
    )


@login_required
@require_POST
def crew_add(request, pk):
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(Abilities.of(request.user, incident).manage_crew)
    form = forms.CrewAddForm(request.POST, incident=incident)

    def succeeded(member):
        notice = f"{member.user.get_username()} joined the crew."
        return _succeeded(request, pk, "crew", notice, extra=("tasks",), keep_open=True)

    return form_post(
        form,
        lambda data: services.crew_add(
            incident=incident, actor=request.user, user=data["username"], role=data["role"]
        ),
        succeeded=succeeded,
        refused=_refused(request, pk, "crew", "crew", form),
        rename={"user": "username"},
    )


@login_required
@require_POST
def crew_remove(request, pk, member_pk):
    member = selectors.crew_member_get(user=request.user, incident_pk=pk, pk=member_pk)
    require(Abilities.of(request.user, member.incident).manage_crew)
    username = member.user.get_username()
    services.crew_remove(member=member, actor=request.user)
    return _succeeded(request, pk, "crew", f"{username} left the crew.", extra=("tasks",))


@login_required
@require_POST
def task_add(request, pk):
    incident = selectors.incident_get(user=request.user, pk=pk)
    require(Abilities.of(request.user, incident).manage_tasks)
    form = forms.TaskAddForm(request.POST, incident=incident)
    return form_post(
        form,
        lambda data: services.task_add(incident=incident, actor=request.user, **data),
        succeeded=lambda task: _succeeded(
            request, pk, "tasks", f"Task “{task.title}” added.", keep_open=True
        ),
        refused=_refused(request, pk, "tasks", "tasks", form),
    )


@login_required
@require_POST
def task_done(request, pk, task_pk):
    task = selectors.task_get(user=request.user, incident_pk=pk, pk=task_pk)
    abilities = Abilities.of(request.user, task.incident)
    require(abilities.manage_tasks or task.assignee_id == request.user.pk)
    form = forms.TaskDoneForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Send done=true or done=false.")
    try:
        task = services.task_set_done(task=task, actor=request.user, done=form.cleaned_data["done"])
    except IllegalStateChange as error:  # a closed incident: read-only until reopened
        return HttpResponse(str(error), status=CONFLICT, content_type="text/plain")
    notice = f"Task “{task.title}” is {'done' if task.done else 'open again'}."
    return _succeeded(request, pk, "tasks", notice)
