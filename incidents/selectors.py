"""Reads of incident data on someone's behalf. Everything starts from visible_incidents."""

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from incidents.models import (
    AffectedSystem,
    CrewMember,
    CrewRole,
    Incident,
    Task,
    TimelineEntry,
)


def visible_incidents(user):
    """The single need-to-know gate (Incident.objects.visible_to)."""
    return Incident.objects.visible_to(user)


def incident_list(*, user, status=None, severity=None, q=None):
    incidents = visible_incidents(user).select_related("reporter")
    if status:
        incidents = incidents.filter(status=status)
    if severity:
        incidents = incidents.filter(severity=severity)
    if q:
        incidents = search(incidents, q)
    return incidents


def search(incidents, q: str):
    q = q.strip()
    return incidents.filter(
        Q(title__icontains=q) | Q(description__icontains=q) | Q(reference__iexact=q)
    )


def incident_get(*, user, pk) -> Incident:
    """One incident the user may see, or 404 (never 403: its existence is need-to-know too)."""
    return get_object_or_404(visible_incidents(user).select_related("reporter"), pk=pk)


def incident_detail(*, user, pk) -> Incident:
    """An incident with everything its page shows, in a fixed number of queries."""
    return get_object_or_404(
        visible_incidents(user)
        .select_related("reporter")
        .prefetch_related(
            Prefetch("crew", queryset=CrewMember.objects.select_related("user")),
            Prefetch("systems", queryset=AffectedSystem.objects.prefetch_related("history")),
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("author")),
            Prefetch("tasks", queryset=Task.objects.select_related("assignee")),
        ),
        pk=pk,
    )


def system_get(*, user, incident_pk, pk) -> AffectedSystem:
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(incident.systems, pk=pk)


def task_get(*, user, incident_pk, pk) -> Task:
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(incident.tasks.select_related("incident", "assignee"), pk=pk)


def crew_member_get(*, user, incident_pk, pk) -> CrewMember:
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(incident.crew.select_related("incident", "user"), pk=pk)


def crew_manageable_by(*, user, incident: Incident) -> bool:
    """Whether `user` may add and remove crew: leads (manage_crew) and the incident's
    commander. The one statement of this rule, for the page and for the services."""
    if user is None or not user.is_active:
        return False
    if user.has_perm("incidents.manage_crew"):
        return True
    return any(
        member.user_id == user.pk and member.role == CrewRole.COMMANDER
        for member in incident.crew.all()
    )
