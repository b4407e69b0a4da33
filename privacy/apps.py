from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        from labeler.signals import candidates_stored, conversations_imported
        from privacy.scanning import on_candidates_stored, on_conversations_imported

        candidates_stored.connect(on_candidates_stored, dispatch_uid="privacy.scan.candidates")
        conversations_imported.connect(on_conversations_imported, dispatch_uid="privacy.scan.imports")
