from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        from labeler.signals import comparison_sampled, conversations_imported
        from privacy.scanning import on_comparison_sampled, on_conversations_imported

        comparison_sampled.connect(on_comparison_sampled, dispatch_uid="privacy.scan.candidates")
        conversations_imported.connect(on_conversations_imported, dispatch_uid="privacy.scan.imports")
