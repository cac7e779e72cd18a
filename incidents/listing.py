"""The incident list as people work it: which incidents (filters, "mine", open ones),
in which order (a whitelist of sort keys), with the owner and the last activity of each.

Reads only through the need-to-know gate (incidents.selectors.visible_incidents)."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from incidents.lifecycle import ORDER, Status
from incidents.models import CrewMember, CrewRole, Incident, Severity, TimelineEntry
from incidents.selectors import search, visible_incidents, with_custom_field, with_tag

# Filter values that stand for several statuses or severities.
OPEN = "open"
HIGH_AND_UP = "high_up"
OPEN_STATUSES = [status for status in ORDER if status != Status.CLOSED]
HIGH_AND_UP_SEVERITIES = [Severity.HIGH, Severity.CRITICAL]

SEVERITY_RANK = Case(
    *(When(severity=value, then=Value(rank)) for rank, value in enumerate(Severity.values)),
    output_field=IntegerField(),
)
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(ORDER)),
    output_field=IntegerField(),
)

# The sort keys people may ask for (the `sort` parameter; "-key" reverses), each with
# the columns it orders by. Anything else is refused by the form, never passed on.
SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("id",),
    "title": ("title", "id"),
    "severity": ("severity_rank", "id"),
    "status": ("status_rank", "id"),
    "owner": ("owner_name", "id"),
    "activity": ("last_activity", "id"),
    "aware": ("aware_at", "id"),
}
SORT_LABELS = {
    "reference": "Reference",
    "title": "Title",
    "severity": "Severity",
    "status": "Status",
    "owner": "Owner",
    "activity": "Last activity",
    "aware": "Aware at",
}
DEFAULT_SORT = "-reference"
SORT_CHOICES = [
    (f"{prefix}{key}", f"{label} ({direction})")
    for key, label in SORT_LABELS.items()
    for prefix, direction in (("", "ascending"), ("-", "descending"))
]


def mine_filter(user) -> Q:
    """What a person works on: filed by them, on its crew, or a task assigned to them."""
    return Q(reporter=user) | Q(crew__user=user) | Q(tasks__assignee=user)


def incident_list(
    *,
    user,
    status=None,
    severity=None,
    q=None,
    mine=False,
    type=None,
    tag=None,
    field=None,
    value=None,
    sort: str = DEFAULT_SORT,
):
    """The incidents `user` may see, filtered and sorted, each with `owner_name` (the
    incident commander, else the reporter) and `last_activity` (its last change or
    timeline entry), in one query whatever the page size."""
    incidents = visible_incidents(user).select_related("reporter", "incident_type")
    if status == OPEN:
        incidents = incidents.filter(status__in=OPEN_STATUSES)
    elif status:
        incidents = incidents.filter(status=status)
    if severity == HIGH_AND_UP:
        incidents = incidents.filter(severity__in=HIGH_AND_UP_SEVERITIES)
    elif severity:
        incidents = incidents.filter(severity=severity)
    if type:
        incidents = incidents.filter(incident_type__key=type)
    if tag:
        incidents = with_tag(incidents, tag)
    if field:
        incidents = with_custom_field(incidents, field, value or "")
    if q:
        incidents = search(incidents, q)
    if mine:
        incidents = incidents.filter(pk__in=Incident.objects.filter(mine_filter(user)).values("pk"))
    commander = CrewMember.objects.filter(
        incident=OuterRef("pk"), role=CrewRole.COMMANDER
    ).order_by("id")
    latest_entry = TimelineEntry.objects.filter(incident=OuterRef("pk")).order_by("-created_at")
    incidents = incidents.annotate(
        commander_name=Subquery(commander.values("user__username")[:1]),
        owner_name=Coalesce(F("commander_name"), F("reporter__username")),
        last_activity=Greatest(
            "updated_at", Coalesce(Subquery(latest_entry.values("created_at")[:1]), "updated_at")
        ),
        severity_rank=SEVERITY_RANK,
        status_rank=STATUS_RANK,
    )
    descending = sort.startswith("-")
    columns = SORT_COLUMNS.get(sort.lstrip("-"), SORT_COLUMNS["reference"])
    return incidents.order_by(*(f"-{column}" if descending else column for column in columns))
