"""What the incident pages share: htmx handling, who may do what, the detail page's context."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from core.formatting import duration_text
from core.views import HTMX_HEADER
from incidents import forms
from incidents.lifecycle import Status, next_statuses
from incidents.models import DataCategory, Incident
from incidents.selectors import crew_manageable_by, reads_reviews
from incidents.services import review_required


@dataclass(frozen=True)
class Abilities:
    """Which forms the detail page offers. The services enforce the same rules on write."""

    change_status: bool
    edit_facts: bool
    add_timeline_entry: bool
    edit_systems: bool
    manage_tasks: bool
    manage_crew: bool

    @classmethod
    def of(cls, user, incident: Incident) -> Abilities:
        changes = user.has_perm("incidents.change_incident")
        # A closed incident is read-only until it is moved back to review (with a reason).
        writable = incident.status != Status.CLOSED
        return cls(
            change_status=changes,
            edit_facts=writable and changes,
            add_timeline_entry=writable and user.has_perm("incidents.add_timelineentry"),
            edit_systems=writable and changes,
            manage_tasks=writable and changes,
            manage_crew=crew_manageable_by(user=user, incident=incident),
        )


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You are not allowed to do this on this incident.")


# --- The detail page and its sections -------------------------------------------

SECTIONS = ("summary", "status", "timeline", "systems", "crew", "tasks")


def detail_context(request, incident: Incident, *, bound=None, notices=None) -> dict:
    """Everything the detail page and its section partials show.

    `bound` holds forms that failed validation, keyed by section (or by
    ("containment", system id) and ("system", system id)), to show again with their errors.
    """
    user = request.user
    bound = bound or {}
    can = Abilities.of(user, incident)
    systems = [
        {
            "system": system,
            "duration": duration_text(system.impact_duration),
            "form": bound.get(("containment", system.pk)) or forms.ContainmentForm(system=system),
            "edit_form": bound.get(("system", system.pk)) or forms.SystemEditForm(system=system),
        }
        for system in incident.systems.all()
    ]
    tasks = [
        {
            "task": task,
            "may_toggle": can.manage_tasks
            or (task.assignee_id == user.pk and incident.status != Status.CLOSED),
        }
        for task in incident.tasks.all()
    ]
    crew_form = bound.get("crew") or forms.CrewAddForm(incident=incident)
    # Selected with the incident; shown only to those who read reviews (not reporters).
    review = getattr(incident, "review", None) if reads_reviews(user) else None
    closing_needs_review = (
        Status.CLOSED in next_statuses(incident.status)
        and review_required(incident)
        and not (review and review.is_completed)
    )
    now = timezone.now()
    return {
        "incident": incident,
        "clocks": {
            "aware_for": duration_text(now - incident.aware_at),
            "contained_after": duration_text(
                incident.contained_at - incident.aware_at if incident.contained_at else None
            ),
        },
        "review": review,
        "closing_needs_review": closing_needs_review,
        # An incident that reached review before reviews existed has none yet.
        "may_start_review": (
            review is None
            and incident.status in (Status.REVIEW, Status.CLOSED)
            and can.change_status
        ),
        "can": can,
        "notices": notices or {},
        "data_categories": [DataCategory(value).label for value in incident.data_categories],
        "edit_form": bound.get("summary")
        or forms.IncidentEditForm(incident=incident, may_restrict=can.manage_crew),
        "status_form": bound.get("status") or forms.StatusChangeForm(incident=incident),
        "timeline_form": bound.get("timeline") or forms.TimelineEntryForm(),
        "system_form": bound.get("systems") or forms.SystemAddForm(),
        "systems": systems,
        "crew_form": crew_form,
        "crew_candidates": crew_form.candidates() if can.manage_crew else [],
        "task_form": bound.get("tasks") or forms.TaskAddForm(incident=incident),
        "tasks": tasks,
    }


def render_sections(request, context: dict, main: str, *, extra=(), status=200) -> HttpResponse:
    """The htmx answer: the section that was posted, plus `extra` sections swapped out of band."""
    html = [render_to_string(f"incidents/partials/{main}.html", context, request=request)]
    for section in extra:
        html.append(
            render_to_string(
                f"incidents/partials/{section}.html", {**context, "oob": True}, request=request
            )
        )
    response = HttpResponse("".join(html), status=status)
    patch_vary_headers(response, [HTMX_HEADER])
    return response


def detail_url(incident: Incident, section: str | None = None) -> str:
    url = reverse("incidents:detail", args=[incident.pk])
    return f"{url}#section-{section}" if section else url
