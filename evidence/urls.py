"""Browser URLs of evidence (CONTRACT.md: /evidence/<id>/download/ needs a step-up, and is
a POST form from the page or a GET from a client that sends no Fetch Metadata)."""

from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("incidents/<int:incident_pk>/upload/", views.evidence_upload, name="upload"),
    path("incidents/<int:incident_pk>/export/", views.evidence_export, name="export"),
    path("incidents/<int:incident_pk>/hold/", views.evidence_legal_hold, name="legal_hold"),
    path("<int:pk>/", views.evidence_detail, name="detail"),
    path("<int:pk>/download/", views.evidence_download, name="download"),
    path("<int:pk>/dispose/", views.evidence_dispose, name="dispose"),
    path("<int:pk>/transfer/", views.evidence_transfer, name="transfer"),
    path("<int:pk>/preview.png", views.evidence_preview, name="preview"),
]
