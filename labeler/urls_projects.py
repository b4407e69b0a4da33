from django.urls import path

from labeler.views import projects

urlpatterns = [
    path("projects/new/", projects.project_new, name="project_create"),
    path("p/<slug:slug>/", projects.project_detail, name="project_detail"),
    path("p/<slug:slug>/settings/", projects.project_settings, name="project_settings"),
    path("p/<slug:slug>/members/", projects.project_members, name="project_members"),
    path(
        "p/<slug:slug>/members/<int:membership_id>/remove/",
        projects.project_member_remove,
        name="project_member_remove",
    ),
]
