from django.urls import path

from exports import views

urlpatterns = [
    path("p/<slug:slug>/exports/", views.export_list, name="export_list"),
    path("p/<slug:slug>/exports/formats/", views.export_formats, name="export_formats"),
    path("p/<slug:slug>/exports/<int:export_id>/download/", views.export_download, name="export_download"),
    path("p/<slug:slug>/api-tokens/", views.token_list, name="token_list"),
    path("p/<slug:slug>/api-tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("p/<slug:slug>/webhooks/", views.webhook_add, name="webhook_add"),
    path("p/<slug:slug>/webhooks/<int:webhook_id>/remove/", views.webhook_remove, name="webhook_remove"),
]
