from django.urls import path

from labeler.views import endpoints, imports, invitations, members, projects

urlpatterns = [
    path("projects/new/", projects.project_create, name="project_create"),
    path("p/<slug:slug>/", projects.project_detail, name="project_detail"),
    path("p/<slug:slug>/settings/", projects.project_settings, name="project_settings"),
    path("p/<slug:slug>/members/", members.project_members, name="project_members"),
    path(
        "p/<slug:slug>/members/<int:membership_id>/remove/",
        members.project_member_remove,
        name="project_member_remove",
    ),
    path("p/<slug:slug>/members/<int:membership_id>/pause/", members.project_member_pause, name="project_member_pause"),
    path(
        "p/<slug:slug>/members/<int:membership_id>/resume/",
        members.project_member_resume,
        name="project_member_resume",
    ),
    path("p/<slug:slug>/invitations/", members.project_invite, name="project_invite"),
    path("p/<slug:slug>/invitations/<int:invitation_id>/revoke/", members.invitation_revoke, name="invitation_revoke"),
    path("p/<slug:slug>/invitations/<int:invitation_id>/resend/", members.invitation_resend, name="invitation_resend"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("p/<slug:slug>/import/", imports.project_import, name="project_import"),
    path("p/<slug:slug>/import/rejects/<str:key>/", imports.project_import_rejects, name="project_import_rejects"),
    path("p/<slug:slug>/endpoints/", endpoints.endpoint_list, name="endpoint_list"),
    path("p/<slug:slug>/endpoints/new/", endpoints.endpoint_create, name="endpoint_create"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/", endpoints.endpoint_edit, name="endpoint_edit"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/delete/", endpoints.endpoint_delete, name="endpoint_delete"),
    path("p/<slug:slug>/endpoints/<int:endpoint_id>/test/", endpoints.endpoint_test, name="endpoint_test"),
    path("p/<slug:slug>/sampling/", endpoints.project_sampling_status, name="project_sampling_status"),
    path("p/<slug:slug>/sampling/retry-failed/", endpoints.sampling_retry_failed, name="sampling_retry_failed"),
    path(
        "p/<slug:slug>/sampling/<int:comparison_id>/resample/",
        endpoints.sampling_resample,
        name="sampling_resample",
    ),
]
