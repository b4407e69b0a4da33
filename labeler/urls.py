from django.urls import include, path

urlpatterns = [
    path("", include("labeler.urls_projects")),
    path("", include("labeler.urls_imports")),
    path("", include("labeler.urls_endpoints")),
    path("", include("labeler.urls_queue")),
]
