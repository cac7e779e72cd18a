"""Browser URLs of incidents (CONTRACT.md: /incidents/, /incidents/new/, /incidents/<id>/)."""

from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/status/", views.status_change, name="status_change"),
    path("<int:pk>/timeline/", views.timeline_add, name="timeline_add"),
    path("<int:pk>/systems/", views.system_add, name="system_add"),
    path(
        "<int:pk>/systems/<int:system_pk>/containment/",
        views.system_containment,
        name="system_containment",
    ),
    path("<int:pk>/crew/", views.crew_add, name="crew_add"),
    path("<int:pk>/crew/<int:member_pk>/remove/", views.crew_remove, name="crew_remove"),
    path("<int:pk>/tasks/", views.task_add, name="task_add"),
    path("<int:pk>/tasks/<int:task_pk>/done/", views.task_done, name="task_done"),
]
