from django.urls import path

from labeler.views import imports

urlpatterns = [
    path("p/<slug:slug>/import/", imports.project_import, name="project_import"),
]
