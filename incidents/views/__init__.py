"""HTML views of incidents: pages (list, filing, detail) and the detail page's writes."""

from incidents.views.actions import (
    crew_add,
    crew_remove,
    status_change,
    system_add,
    system_containment,
    task_add,
    task_done,
    timeline_add,
)
from incidents.views.pages import incident_detail, incident_list, incident_new

__all__ = [
    "crew_add",
    "crew_remove",
    "incident_detail",
    "incident_list",
    "incident_new",
    "status_change",
    "system_add",
    "system_containment",
    "task_add",
    "task_done",
    "timeline_add",
]
