from django.urls import path

from safety.views import moderation

urlpatterns = [
    path("p/<slug:slug>/moderation/", moderation.moderation_settings, name="moderation_settings"),
    path(
        "p/<slug:slug>/moderation/verdicts/<int:verdict_id>/", moderation.moderation_verdict, name="moderation_verdict"
    ),
    path(
        "p/<slug:slug>/moderation/verdicts/<int:verdict_id>/review/",
        moderation.moderation_review,
        name="moderation_review",
    ),
]
