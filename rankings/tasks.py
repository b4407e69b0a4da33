"""Celery tasks of the statistics, queue scores and the AI judge: thin wrappers around rankings/refresh.py,
queue_scores.py and judging.py."""

from celery import shared_task

from rankings.judging import comparison_judge, judge_sweep_collect
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def judge_comparison(comparison_id: int) -> bool:
    """Ask the project's judge about one comparison, if its judgement is due."""
    return comparison_judge(comparison_id=comparison_id) is not None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def judge_sweep() -> int:
    """Beat: open the judgements missing (a lost signal, a judge named later) and hand out those due."""
    comparison_ids = judge_sweep_collect()
    with judge_comparison.app.producer_or_acquire() as producer:
        for comparison_id in comparison_ids:
            judge_comparison.apply_async((comparison_id,), producer=producer)
    return len(comparison_ids)
