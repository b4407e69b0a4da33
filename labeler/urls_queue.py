from django.urls import path

from labeler.views import queue

urlpatterns = [
    path("", queue.home, name="home"),
    path("p/<slug:slug>/rank/", queue.rank_next, name="rank_next"),
    path("p/<slug:slug>/rank/<int:assignment_id>/submit/", queue.rank_submit, name="rank_submit"),
    path("p/<slug:slug>/rank/<int:assignment_id>/skip/", queue.rank_skip, name="rank_skip"),
]
