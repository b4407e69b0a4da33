from django.urls import path

from rankings import views

urlpatterns = [
    path("p/<slug:slug>/dashboard/", views.project_dashboard, name="project_dashboard"),
    path("p/<slug:slug>/dashboard/recompute/", views.project_stats_recompute, name="project_stats_recompute"),
    path("p/<slug:slug>/dashboard/comparisons/", views.comparison_open, name="comparison_open"),
    path(
        "p/<slug:slug>/dashboard/comparisons/<int:comparison_id>/",
        views.comparison_review_view,
        name="comparison_review",
    ),
    path(
        "p/<slug:slug>/dashboard/comparisons/<int:comparison_id>/withdraw/",
        views.adjudication_remove_view,
        name="adjudication_remove",
    ),
]
