from django.urls import path

from privacy import views

urlpatterns = [
    path("p/<slug:slug>/privacy/", views.pii_settings, name="pii_settings"),
    path("p/<slug:slug>/privacy/erase/", views.erasure_preview, name="erasure_preview"),
    path("p/<slug:slug>/privacy/erase/confirm/", views.erasure_confirm, name="erasure_confirm"),
    path("p/<slug:slug>/pii/spans/<int:span_id>/", views.pii_span_decide, name="pii_span_decide"),
    path("p/<slug:slug>/pii/mark/", views.pii_span_mark, name="pii_span_mark"),
]
