from django.urls import path

from safety.views import audits, moderation

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
    path("p/<slug:slug>/audits/", audits.audit_home, name="audit_home"),
    path("p/<slug:slug>/audits/default-suite/", audits.audit_suite_default, name="audit_suite_default"),
    path("p/<slug:slug>/audits/suites/<int:suite_id>/", audits.audit_suite_detail, name="audit_suite_detail"),
    path("p/<slug:slug>/audits/suites/<int:suite_id>/import/", audits.audit_suite_import, name="audit_suite_import"),
    path("p/<slug:slug>/audits/suites/<int:suite_id>/runs/", audits.audit_run_start, name="audit_run_start"),
    path("p/<slug:slug>/audits/endpoints/<int:endpoint_id>/", audits.audit_endpoint_runs, name="audit_endpoint_runs"),
    path("p/<slug:slug>/audits/runs/<int:run_id>/", audits.audit_run_detail, name="audit_run_detail"),
    path("p/<slug:slug>/audits/runs/<int:run_id>/again/", audits.audit_run_again, name="audit_run_again"),
    path(
        "p/<slug:slug>/audits/runs/<int:run_id>/probes/<int:probe_id>/",
        audits.audit_answer_detail,
        name="audit_answer_detail",
    ),
    path(
        "p/<slug:slug>/audits/runs/<int:run_id>/probes/<int:probe_id>/send/",
        audits.audit_answer_send,
        name="audit_answer_send",
    ),
]
