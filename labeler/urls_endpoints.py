from django.urls import path

from labeler.views import endpoints

urlpatterns = [
    path("p/<slug:slug>/endpoints/", endpoints.endpoint_list, name="endpoint_list"),
    path("p/<slug:slug>/endpoints/new/", endpoints.endpoint_new, name="endpoint_create"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/", endpoints.endpoint_edit, name="endpoint_edit"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/delete/", endpoints.endpoint_remove, name="endpoint_delete"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/test/", endpoints.endpoint_try, name="endpoint_test"),
    path("p/<slug:slug>/sampling/", endpoints.project_sampling_status, name="project_sampling_status"),
    path("p/<slug:slug>/sampling/retry-failed/", endpoints.sampling_retry_failed, name="sampling_retry_failed"),
    path(
        "p/<slug:slug>/sampling/<int:comparison_id>/resample/",
        endpoints.sampling_resample,
        name="sampling_resample",
    ),
]
