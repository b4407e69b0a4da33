from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"

    def ready(self) -> None:
        from exports import schema  # noqa: F401 (registers the schema extension)
        from exports.erasure import exports_holding_since
        from exports.webhooks import on_audit_completed, on_comparison_completed
        from privacy.signals import exports_holding
        from rankings.signals import comparison_completed
        from safety.signals import audit_completed

        comparison_completed.connect(on_comparison_completed, dispatch_uid="exports.webhooks")
        audit_completed.connect(on_audit_completed, dispatch_uid="exports.webhooks.audits")
        exports_holding.connect(exports_holding_since, dispatch_uid="exports.erasure")
