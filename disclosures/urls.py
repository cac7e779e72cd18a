"""Browser URLs of disclosures (CONTRACT.md: /disclosures/<id>/ and its edit, submit,
approve and publish POSTs), plus drafting from an incident, exports and templates."""

from django.urls import path

from disclosures import views

app_name = "disclosures"

urlpatterns = [
    path("<int:pk>/", views.disclosure_detail, name="detail"),
    path("<int:pk>/edit/", views.disclosure_edit, name="edit"),
    path("<int:pk>/submit/", views.disclosure_submit, name="submit"),
    path("<int:pk>/approve/", views.disclosure_approve, name="approve"),
    path("<int:pk>/publish/", views.disclosure_publish, name="publish"),
    path("<int:pk>/withdraw/", views.disclosure_withdraw, name="withdraw"),
    path("<int:pk>/materiality/", views.disclosure_materiality, name="materiality"),
    path("<int:pk>/export.md", views.disclosure_export_markdown, name="export_markdown"),
    path("<int:pk>/print/", views.disclosure_export_print, name="export_print"),
    path("new/<int:incident_pk>/", views.disclosure_new, name="new"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:audience>/<str:regime>/", views.template_edit, name="template_edit"),
]
