"""Browser URLs of observables: the search, and the incident section's writes."""

from django.urls import path

from observables import extract_views, sharing_views, technique_views, views

app_name = "observables"

urlpatterns = [
    path("", views.search, name="search"),
    path("incidents/<int:incident_pk>/", views.section, name="section"),
    path("incidents/<int:incident_pk>/add/", views.paste, name="paste"),
    path("incidents/<int:incident_pk>/export/", sharing_views.export, name="export"),
    path("incidents/<int:incident_pk>/import/", sharing_views.import_file, name="import"),
    path("incidents/<int:incident_pk>/extract/", extract_views.extract, name="extract"),
    path("incidents/<int:incident_pk>/techniques/", technique_views.techniques, name="techniques"),
    path(
        "incidents/<int:incident_pk>/techniques/add/",
        technique_views.technique_add,
        name="technique_add",
    ),
    path("techniques/<int:pk>/remove/", technique_views.technique_remove, name="technique_remove"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/mark/", views.mark, name="mark"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
