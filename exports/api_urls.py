from django.urls import path

from exports import api, audit_api

urlpatterns = [
    path("projects", api.ProjectsApi.as_view(), name="api_projects"),
    path("projects/<slug:slug>/status", api.StatusApi.as_view(), name="api_status"),
    path("projects/<slug:slug>/exports", api.ExportsApi.as_view(), name="api_exports"),
    path("projects/<slug:slug>/comparisons", api.ComparisonsApi.as_view(), name="api_comparisons"),
    path("projects/<slug:slug>/audits", audit_api.AuditRunsApi.as_view(), name="api_audit_runs"),
    path("projects/<slug:slug>/audits/<int:run_id>", audit_api.AuditRunApi.as_view(), name="api_audit_run"),
]
