"""Browser URLs of incidents (CONTRACT.md: /incidents/, /incidents/new/, /incidents/<id>/),
their post-incident review and the tracker of its action items."""

from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("filters/", views.saved_filter_save, name="saved_filter_save"),
    path("filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("action-items/", views.action_item_tracker, name="action_items"),
    path("types/", views.type_list, name="types"),
    path("types/new/", views.type_new, name="type_new"),
    path("types/export/", views.type_export, name="type_export"),
    path("types/import/", views.type_import, name="type_import"),
    path("types/<slug:key>/", views.type_detail, name="type_detail"),
    path("types/<slug:key>/edit/", views.type_edit, name="type_edit"),
    path("types/<slug:key>/retire/", views.type_retire, name="type_retire"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag_delete"),
    path("<int:pk>/classification/", views.classification_update, name="classification"),
    path("<int:pk>/playbook-tasks/", views.playbook_tasks_add, name="playbook_tasks"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/edit/", views.incident_edit, name="edit"),
    path("<int:pk>/status/", views.status_change, name="status_change"),
    path("<int:pk>/timeline/", views.timeline_add, name="timeline_add"),
    path("<int:pk>/systems/", views.system_add, name="system_add"),
    path("<int:pk>/systems/<int:system_pk>/edit/", views.system_edit, name="system_edit"),
    path(
        "<int:pk>/systems/<int:system_pk>/containment/",
        views.system_containment,
        name="system_containment",
    ),
    path("<int:pk>/crew/", views.crew_add, name="crew_add"),
    path("<int:pk>/crew/<int:member_pk>/remove/", views.crew_remove, name="crew_remove"),
    path("<int:pk>/tasks/", views.task_add, name="task_add"),
    path("<int:pk>/tasks/<int:task_pk>/done/", views.task_done, name="task_done"),
    path("<int:pk>/tasks/<int:task_pk>/", views.task_page, name="task"),
    path("<int:pk>/tasks/<int:task_pk>/edit/", views.task_edit, name="task_edit"),
    path("<int:pk>/tasks/<int:task_pk>/assign/", views.task_reassign, name="task_reassign"),
    path("<int:pk>/tasks/<int:task_pk>/status/", views.task_status, name="task_status"),
    path("<int:pk>/tasks/<int:task_pk>/comments/", views.task_comment, name="task_comment"),
    path("<int:pk>/tasks/<int:task_pk>/delete/", views.task_delete, name="task_delete"),
    path("<int:pk>/review/", views.review_page, name="review"),
    path("<int:pk>/review/start/", views.review_start, name="review_start"),
    path("<int:pk>/review/complete/", views.review_complete, name="review_complete"),
    path("<int:pk>/review/reopen/", views.review_reopen, name="review_reopen"),
    path(
        "<int:pk>/review/sections/<int:section_pk>/",
        views.review_section_update,
        name="review_section_update",
    ),
    path(
        "<int:pk>/review/sections/<int:section_pk>/findings/",
        views.finding_add,
        name="review_finding_add",
    ),
    path(
        "<int:pk>/review/sections/<int:section_pk>/action-items/",
        views.action_item_add,
        name="review_action_item_add",
    ),
    path("<int:pk>/review/action-items/", views.review_action_item_add, name="review_action_item"),
    path(
        "<int:pk>/review/action-items/<int:item_pk>/edit/",
        views.action_item_edit,
        name="review_action_item_edit",
    ),
    path(
        "<int:pk>/review/action-items/<int:item_pk>/status/",
        views.action_item_status,
        name="review_action_item_status",
    ),
]
