from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "rankings"

    def ready(self) -> None:
        from privacy.signals import conversations_erased
        from rankings.refresh import on_conversations_erased

        conversations_erased.connect(on_conversations_erased, dispatch_uid="rankings.stats.erasure")

        from labeler.signals import comparison_sampled
        from rankings.judging import judge_open_for_comparison

        def on_comparison_sampled(sender, *, comparison_id: int, project_id: int, **kwargs) -> None:
            judge_open_for_comparison(comparison_id=comparison_id, project_id=project_id)

        comparison_sampled.connect(on_comparison_sampled, dispatch_uid="rankings.judging", weak=False)
