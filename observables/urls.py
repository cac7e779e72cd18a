"""Browser URLs of observables: the search, and the incident section's writes."""

from django.urls import path

from observables import sharing_views, views

app_name = "observables"

urlpatterns = [
    path("", views.search, name="search"),
    path("incidents/<int:incident_pk>/", views.section, name="section"),
    path("incidents/<int:incident_pk>/add/", views.paste, name="paste"),
    path("incidents/<int:incident_pk>/export/", sharing_views.export, name="export"),
    path("incidents/<int:incident_pk>/import/", sharing_views.import_file, name="import"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/mark/", views.mark, name="mark"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
