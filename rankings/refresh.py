"""When the statistics are recomputed: after every N submissions, by beat for stale projects,
on a lead's request; and never twice at once for one project. The tasks in rankings/tasks.py
call these."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, OuterRef, Q, Subquery

from labeler.models import Project
from rankings.models import JudgeRanking, Ranking
from rankings.stats import project_stats_refresh
from ranklab.background import enqueue_after_commit

# While one worker recomputes a project, another trigger for it is dropped: the running one
# (or the next trigger) will see those rankings.
_LOCK_SECONDS = 15 * 60

_REFRESH_TASK = "rankings.tasks.project_stats_refresh_task"


def _counter_key(project_id: int) -> str:
    return f"ranklab:stats:submissions:{project_id}"


def _lock_key(project_id: int) -> str:
    return f"ranklab:stats:computing:{project_id}"


def stats_maybe_refresh(*, project_id: int) -> bool:
    """Count one submission; on the first and every `RANKLAB_STATS_REFRESH_EVERY`-th, enqueue a
    recompute. Call it once the submission has committed. Returns whether it enqueued."""
    key = _counter_key(project_id)
    try:
        count = cache.incr(key)
    except ValueError:  # the first submission since the cache was emptied
        cache.add(key, 0, timeout=None)
        count = cache.incr(key)
    if count == 1 or count % settings.RANKLAB_STATS_REFRESH_EVERY == 0:
        enqueue_stats_refresh(project_id=project_id)
        return True
    return False


def enqueue_stats_refresh(*, project_id: int) -> None:
    """Recompute the project's statistics once the current transaction commits."""
    enqueue_after_commit(_REFRESH_TASK, project_id)


def on_conversations_erased(*, project_id: int, **_) -> None:
    """An erasure took rankings away: the figures the dashboard shows would still count them."""
    enqueue_stats_refresh(project_id=project_id)


def project_stats_refresh_once(*, project_id: int) -> bool:
    """Recompute one project's statistics unless a worker is at it already; whether it ran."""
    if not cache.add(_lock_key(project_id), 1, timeout=_LOCK_SECONDS):
        return False
    try:
        project_stats_refresh(project_id=project_id)
    finally:
        cache.delete(_lock_key(project_id))
    return True


def projects_with_stale_stats() -> list[int]:
    """Projects with a ranking submitted or revised, or a comparison the AI judge ranked, after their
    statistics were last computed (or never)."""
    latest = (
        Ranking.objects.filter(comparison__project=OuterRef("pk")).order_by("-submitted_at").values("submitted_at")[:1]
    )
    latest_revision = (
        Ranking.objects.filter(comparison__project=OuterRef("pk"), revised_at__isnull=False)
        .order_by("-revised_at")
        .values("revised_at")[:1]
    )
    latest_judgement = (
        JudgeRanking.objects.filter(project=OuterRef("pk"), judged_at__isnull=False)
        .order_by("-judged_at")
        .values("judged_at")[:1]
    )
    return list(
        Project.objects.annotate(
            latest=Subquery(latest),
            latest_revision=Subquery(latest_revision),
            latest_judgement=Subquery(latest_judgement),
        )
        .filter(latest__isnull=False)
        .filter(
            Q(stats__isnull=True)
            | Q(stats__computed_at__isnull=True)
            | Q(stats__computed_at__lt=F("latest"))
            | Q(stats__computed_at__lt=F("latest_revision"))
            | Q(stats__computed_at__lt=F("latest_judgement"))
        )
        .values_list("id", flat=True)
    )


def stale_stats_enqueue() -> int:
    """Enqueue a recompute for every project whose statistics are older than its rankings."""
    project_ids = projects_with_stale_stats()
    for project_id in project_ids:
        enqueue_stats_refresh(project_id=project_id)
    return len(project_ids)
