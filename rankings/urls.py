from django.urls import path

from rankings.views import browse, chat, dashboard, history, judge, ranking, redteam

urlpatterns = [
    path("", ranking.home, name="home"),
    path("p/<slug:slug>/rank/", ranking.rank_next, name="rank_next"),
    path("p/<slug:slug>/rank/<int:assignment_id>/submit/", ranking.rank_submit, name="rank_submit"),
    path("p/<slug:slug>/rank/<int:assignment_id>/skip/", ranking.rank_skip, name="rank_skip"),
    path("p/<slug:slug>/rankings/", history.rank_history, name="rank_history"),
    path("p/<slug:slug>/rankings/<int:ranking_id>/revise/", history.ranking_revise_page, name="ranking_revise"),
    path("p/<slug:slug>/chat/", chat.chat_list, name="chat_list"),
    path("p/<slug:slug>/chat/new/", chat.chat_start, name="chat_start"),
    path("p/<slug:slug>/chat/<int:conversation_id>/", chat.chat_detail, name="chat_detail"),
    path("p/<slug:slug>/chat/<int:conversation_id>/turn/", chat.chat_turn, name="chat_turn"),
    path(
        "p/<slug:slug>/chat/<int:conversation_id>/rank/<int:assignment_id>/",
        chat.chat_rank,
        name="chat_rank",
    ),
    path("p/<slug:slug>/chat/<int:conversation_id>/continue/", chat.chat_continue, name="chat_continue"),
    path("p/<slug:slug>/chat/<int:conversation_id>/answer/", chat.chat_answer, name="chat_answer"),
    path("p/<slug:slug>/chat/<int:conversation_id>/branch/", chat.chat_branch, name="chat_branch"),
    path("p/<slug:slug>/chat/<int:conversation_id>/retry/", chat.chat_retry, name="chat_retry"),
    path("p/<slug:slug>/chat/<int:conversation_id>/end/", chat.chat_end, name="chat_end"),
    path("p/<slug:slug>/red-team/", redteam.redteam_attacks, name="redteam_attacks"),
    path("p/<slug:slug>/red-team/safe-answer/", redteam.redteam_safe_answer, name="redteam_safe_answer"),
    path("p/<slug:slug>/dashboard/", dashboard.project_dashboard, name="project_dashboard"),
    path("p/<slug:slug>/dashboard/status/", dashboard.project_stats_status, name="project_stats_status"),
    path("p/<slug:slug>/dashboard/recompute/", dashboard.project_stats_recompute, name="project_stats_recompute"),
    path("p/<slug:slug>/judge/", judge.judge_settings, name="judge_settings"),
    path("p/<slug:slug>/judge/disagreements/", judge.judge_disagreements, name="judge_disagreements"),
    path("p/<slug:slug>/comparisons/", browse.comparison_browse, name="comparison_browse"),
    path(
        "p/<slug:slug>/comparisons/<int:comparison_id>/",
        browse.comparison_browse_detail,
        name="comparison_browse_detail",
    ),
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
