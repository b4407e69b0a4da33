from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"

    def ready(self) -> None:
        from labeler.signals import comparison_sampled
        from safety.verdicts import verdicts_open_for_comparison

        def on_comparison_sampled(sender, *, comparison_id: int, project_id: int, **kwargs) -> None:
            verdicts_open_for_comparison(comparison_id=comparison_id, project_id=project_id)

        comparison_sampled.connect(on_comparison_sampled, dispatch_uid="safety.verdicts", weak=False)
