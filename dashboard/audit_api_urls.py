from django.urls import path

from dashboard import audit_api

urlpatterns = [
    path("audit/checkpoint/", audit_api.CheckpointView.as_view(), name="audit-checkpoint"),
    path("audit/proof/inclusion/", audit_api.InclusionProofView.as_view(), name="audit-inclusion"),
    path(
        "audit/proof/consistency/",
        audit_api.ConsistencyProofView.as_view(),
        name="audit-consistency",
    ),
    path("audit/key/", audit_api.PublicKeyView.as_view(), name="audit-key"),
]
