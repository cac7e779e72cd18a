"""Reads of incident data on someone's behalf. Everything starts from visible_incidents."""

import json
import math
import re
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Prefetch, Q
from django.db.models.fields.json import KeyTransform
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.roles import Role
from incidents.models import (
    CLOSED_TASK_STATUSES,
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    AffectedSystem,
    ContainmentChange,
    ContainmentState,
    CrewMember,
    CrewRole,
    Finding,
    Incident,
    PostIncidentReview,
    ReviewSection,
    Task,
    TimelineEntry,
)

CUSTOM_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")


def visible_incidents(user):
    """The single need-to-know gate (Incident.objects.visible_to)."""
    return Incident.objects.visible_to(user)


def may_see(user, incident: Incident) -> bool:
    """Whether `user` may see `incident`: the gate, asked about one incident."""
    return visible_incidents(user).filter(pk=incident.pk).exists()


# --- People, as seen from one incident ------------------------------------------------
#
# The queryset side of the gate: the people `visible_incidents` lets see an incident,
# answered once here for assignment lists, crew suggestions and who hears of what.


def _holding(permission: str) -> Q:
    """People holding an incidents permission, through a role or directly."""
    app_label, codename = permission.split(".")
    held = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Q(is_superuser=True) | Q(groups__permissions__in=held) | Q(user_permissions__in=held)


def active_people():
    return get_user_model().objects.filter(is_active=True)


def people_who_see(incident: Incident, *, csirt_only: bool = True):
    """Active people who may see `incident` (the gate, person by person): its crew and
    the CSIRT members who see it anyway; with csirt_only=False also its reporter.
    Whom a task or action item may go to, who hears of it."""
    sees_it = _holding(
        "incidents.view_all_incidents" if incident.restricted else "incidents.view_incident"
    )
    condition = sees_it | Q(crew_memberships__incident=incident)
    if not csirt_only:
        condition |= Q(pk=incident.reporter_id)
    return active_people().filter(condition).distinct().order_by("username")


def crew_candidates(incident: Incident):
    """CSIRT members not on the crew yet (suggestions for the crew form)."""
    return (
        active_people()
        .filter(_holding("incidents.view_incident"))
        .exclude(crew_memberships__incident=incident)
        .distinct()
        .order_by("username")
    )


def active_leads():
    return active_people().filter(groups__name=Role.LEAD).distinct()


def crew_and_leads(incident: Incident):
    """Who hears first of what happens to an incident: its crew and every lead."""
    return (
        active_people()
        .filter(Q(crew_memberships__incident=incident) | Q(groups__name=Role.LEAD))
        .distinct()
    )


def may_receive_red(user, incident: Incident) -> bool:
    """Whether `user` may take TLP:RED information of `incident` out of Cordon (an export,
    a package, the report): its crew and the leads, for observables and evidence alike."""
    if user is None or not user.is_authenticated:
        return False
    return crew_and_leads(incident).filter(pk=user.pk).exists()


def with_tag(incidents, tag: str):
    """Incidents carrying `tag` (exactly; JSON containment on PostgreSQL, its JSON
    text elsewhere, where JSONField has no containment lookup)."""
    if connection.vendor == "postgresql":
        return incidents.filter(tags__contains=[tag])
    return incidents.filter(tags__icontains=json.dumps(tag))


def with_custom_field(incidents, key: str, value: str):
    """Incidents whose custom field `key` holds `value` (as text, number or yes/no, or
    among a multi-choice's values). A key that is no field key matches nothing."""
    if not CUSTOM_FIELD_KEY.fullmatch(key or ""):
        return incidents.none()
    # The key as a JSON key, never as a lookup ("isnull", "contains", "regex" …).
    incidents = incidents.alias(_custom_field=KeyTransform(key, "custom_fields"))
    lookup = "_custom_field"
    condition = Q(**{lookup: value})
    if value.lower() in ("yes", "true", "no", "false"):
        condition |= Q(**{lookup: value.lower() in ("yes", "true")})
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            condition |= Q(**{lookup: int(number) if number.is_integer() else number})
    if connection.vendor == "postgresql":
        condition |= Q(**{f"{lookup}__contains": [value]})
    return incidents.filter(condition)


def tag_facets(incidents, *, limit: int = 30) -> list[tuple[str, int]]:
    """The most used tags among `incidents`, with counts (the list's and dashboard's facet)."""
    counts: Counter[str] = Counter()
    if connection.vendor == "postgresql":
        table = Incident._meta.db_table
        try:
            sql, params = incidents.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT tag, count(*) FROM {table}, jsonb_array_elements_text({table}.tags) tag "  # noqa: S608 - our table
                f"WHERE {table}.id IN ({sql}) GROUP BY tag ORDER BY count(*) DESC, tag LIMIT %s",
                [*params, limit],
            )
            return [(tag, count) for tag, count in cursor.fetchall()]
    for tags in incidents.order_by().values_list("tags", flat=True):
        counts.update(tags)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


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
        .select_related("reporter", "review", "incident_type")
        .prefetch_related(
            Prefetch("crew", queryset=CrewMember.objects.select_related("user")),
            Prefetch(
                "systems",
                queryset=AffectedSystem.objects.prefetch_related(
                    Prefetch(
                        "history", queryset=ContainmentChange.objects.select_related("changed_by")
                    )
                ),
            ),
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("author")),
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related("assignee").prefetch_related("comments"),
            ),
        ),
        pk=pk,
    )


def system_get(*, user, incident_pk, pk) -> AffectedSystem:
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(incident.systems, pk=pk)


def task_get(*, user, incident_pk, pk) -> Task:
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(incident.tasks.select_related("incident", "assignee"), pk=pk)


def overdue_tasks(*, user, limit: int = 100):
    """Open tasks past their due time in the incidents `user` may see, most overdue first."""
    now = timezone.now()
    return (
        Task.objects.filter(incident__in=visible_incidents(user))
        .exclude(status__in=CLOSED_TASK_STATUSES)
        .filter(Q(due_at__lt=now) | Q(due_at__isnull=True, due_date__lt=now.date()))
        .select_related("incident", "assignee")
        .order_by("due_date", "due_at", "id")[:limit]
    )


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


# --- The post-incident review ------------------------------------------------------


def reads_reviews(user) -> bool:
    """Reviews and action items are the CSIRT's working material (root causes, weak
    spots): CSIRT members read them, on the incidents they see. Reporters see the
    incidents they filed, not their reviews."""
    return user is not None and user.is_active and user.has_perm("incidents.view_incident")


def review_get(*, user, incident_pk) -> PostIncidentReview:
    """An incident's review with its sections, findings and action items; 404 when the
    incident is out of sight, has no review yet, or the person does not read reviews."""
    if not reads_reviews(user):
        raise Http404("No review.")
    incident = incident_get(user=user, pk=incident_pk)
    sections = ReviewSection.objects.select_related("updated_by").prefetch_related(
        Prefetch("findings", queryset=Finding.objects.select_related("created_by")),
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
    )
    review = get_object_or_404(
        PostIncidentReview.objects.select_related("completed_by").prefetch_related(
            Prefetch("sections", queryset=sections)
        ),
        incident=incident,
    )
    review.incident = incident  # already loaded through the gate
    return review


def action_items_visible(user):
    """Action items of the incidents the user may see (none for those who do not read
    reviews)."""
    if not reads_reviews(user):
        return ActionItem.objects.none()
    return ActionItem.objects.filter(incident__in=visible_incidents(user)).select_related(
        "incident", "owner"
    )


def action_item_get(*, user, incident_pk, pk) -> ActionItem:
    if not reads_reviews(user):
        raise Http404("No action item.")
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(
        ActionItem.objects.select_related("incident", "owner", "section__review"),
        incident=incident,
        pk=pk,
    )


def review_section_get(*, user, incident_pk, pk) -> ReviewSection:
    if not reads_reviews(user):
        raise Http404("No review.")
    incident = incident_get(user=user, pk=incident_pk)
    return get_object_or_404(
        ReviewSection.objects.select_related("review__incident"), review__incident=incident, pk=pk
    )


def action_item_tracker(*, user, owner=None, owner_username=None, overdue=False, status=None):
    """Open action items across the incidents the user may see, soonest due first.

    `owner`: a person or a person's id; `owner_username`: a user name, whether or not
    anyone has it (no items then, as for someone who owns none). `status`: one status
    or several; by default the open ones (open and in progress). `overdue`: only open
    items past their date.
    """
    items = action_items_visible(user)
    if owner is not None:
        items = items.filter(owner=owner)
    if owner_username is not None:
        items = items.filter(owner__username=owner_username)
    if status is None:
        statuses = list(OPEN_ACTION_ITEM_STATUSES)
    elif isinstance(status, str):
        statuses = [status]
    else:
        statuses = list(status)
    if overdue:
        statuses = [value for value in statuses if value in OPEN_ACTION_ITEM_STATUSES]
        items = items.filter(due_date__lt=timezone.localdate())
    return items.filter(status__in=statuses).select_related("section").order_by("due_date", "id")


def closing_warnings(incident: Incident) -> list[str]:
    """What closing `incident` would leave open: tasks not done, systems still isolated
    or shut down, or whose impact has not ended. Shown before the person confirms."""
    warnings = []
    open_tasks = incident.tasks.exclude(
        status__in=CLOSED_TASK_STATUSES
    ).count()  # skipped: finished
    if open_tasks:
        warnings.append(f"{open_tasks} open task{'s' if open_tasks != 1 else ''}")
    held = incident.systems.filter(
        containment_state__in=[ContainmentState.ISOLATED, ContainmentState.SHUT_DOWN]
    ).values_list("name", flat=True)
    if held:
        warnings.append(f"still isolated or shut down: {', '.join(sorted(held))}")
    impacted = incident.systems.filter(impact_start__isnull=False, impact_end__isnull=True)
    names = sorted(impacted.values_list("name", flat=True))
    if names:
        warnings.append(f"impact not ended on {', '.join(names)}")
    return warnings
