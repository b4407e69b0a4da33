from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "rankings"

    def ready(self) -> None:
        from privacy.signals import conversations_erased
        from rankings.refresh import on_conversations_erased

        conversations_erased.connect(on_conversations_erased, dispatch_uid="rankings.stats.erasure")
