"""HTML views of incidents: pages (list, filing, detail) and the detail page's writes."""

from incidents.views.actions import (
    crew_add,
    crew_remove,
    incident_edit,
    status_change,
    system_add,
    system_containment,
    system_edit,
    task_add,
    task_done,
    timeline_add,
)
from incidents.views.listing import incident_list, saved_filter_delete, saved_filter_save
from incidents.views.pages import incident_detail, incident_new
from incidents.views.review import (
    action_item_add,
    action_item_edit,
    action_item_status,
    action_item_tracker,
    finding_add,
    review_complete,
    review_page,
    review_reopen,
    review_section_update,
    review_start,
)

__all__ = [
    "action_item_add",
    "action_item_edit",
    "action_item_status",
    "action_item_tracker",
    "crew_add",
    "crew_remove",
    "finding_add",
    "incident_detail",
    "incident_edit",
    "incident_list",
    "incident_new",
    "review_complete",
    "review_page",
    "review_reopen",
    "review_section_update",
    "review_start",
    "saved_filter_delete",
    "saved_filter_save",
    "status_change",
    "system_add",
    "system_containment",
    "system_edit",
    "task_add",
    "task_done",
    "timeline_add",
]
