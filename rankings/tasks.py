"""Celery tasks of the statistics and queue scores: thin wrappers around rankings/refresh.py and queue_scores.py."""

from celery import shared_task

from rankings.queue_scores import queue_scores_refresh_stale
from rankings.refresh import project_stats_refresh_once, stale_stats_enqueue


@shared_task(acks_late=True, reject_on_worker_lost=True)
def project_stats_refresh_task(project_id: int) -> bool:
    """Recompute one project's statistics unless a worker is at it already."""
    return project_stats_refresh_once(project_id=project_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def stats_refresh_stale() -> int:
    """Beat: enqueue a recompute for every project whose statistics are older than its rankings."""
    return stale_stats_enqueue()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def queue_scores_refresh() -> int:
    """Beat: recompute the queue scores that no submission kept up to date."""
    return queue_scores_refresh_stale()
