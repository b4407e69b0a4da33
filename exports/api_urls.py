from django.urls import path

from exports import api

urlpatterns = [
    path("projects", api.ProjectsApi.as_view(), name="api_projects"),
    path("projects/<slug:slug>/status", api.StatusApi.as_view(), name="api_status"),
    path("projects/<slug:slug>/exports", api.ExportsApi.as_view(), name="api_exports"),
    path("projects/<slug:slug>/comparisons", api.ComparisonsApi.as_view(), name="api_comparisons"),
]
