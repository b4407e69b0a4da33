from django.apps import AppConfig


class LabelerConfig(AppConfig):
    name = "labeler"
