"""Browser URLs of observables: the search, and the incident section's writes."""

from django.urls import path

from observables import views

app_name = "observables"

urlpatterns = [
    path("", views.search, name="search"),
    path("incidents/<int:incident_pk>/", views.section, name="section"),
    path("incidents/<int:incident_pk>/add/", views.paste, name="paste"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/mark/", views.mark, name="mark"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
