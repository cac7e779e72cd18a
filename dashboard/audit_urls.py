from django.urls import path

from dashboard import audit_log

app_name = "audit_log"

urlpatterns = [
    path("", audit_log.event_list, name="list"),
    path("<int:pk>/", audit_log.event_detail, name="detail"),
    path("verify/", audit_log.verify_now, name="verify"),
    path("proof/", audit_log.proof_bundle, name="proof_bundle"),
    path("export.jsonl", audit_log.export, {"fmt": "jsonl"}, name="export_jsonl"),
    path("export.csv", audit_log.export, {"fmt": "csv"}, name="export_csv"),
]
