from django.urls import path

from rankings.views import dashboard, ranking

urlpatterns = [
    path("", ranking.home, name="home"),
    path("p/<slug:slug>/rank/", ranking.rank_next, name="rank_next"),
    path("p/<slug:slug>/rank/<int:assignment_id>/submit/", ranking.rank_submit, name="rank_submit"),
    path("p/<slug:slug>/rank/<int:assignment_id>/skip/", ranking.rank_skip, name="rank_skip"),
    path("p/<slug:slug>/dashboard/", dashboard.project_dashboard, name="project_dashboard"),
    path("p/<slug:slug>/dashboard/recompute/", dashboard.project_stats_recompute, name="project_stats_recompute"),
    path("p/<slug:slug>/dashboard/comparisons/", dashboard.comparison_open, name="comparison_open"),
    path(
        "p/<slug:slug>/dashboard/comparisons/<int:comparison_id>/",
        dashboard.comparison_review,
        name="comparison_review",
    ),
    path(
        "p/<slug:slug>/dashboard/comparisons/<int:comparison_id>/withdraw/",
        dashboard.adjudication_remove,
        name="adjudication_remove",
    ),
]
