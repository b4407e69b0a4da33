"""Celery tasks of the safety loop: thin wrappers around its services (the top of the app).

Services enqueue these by name through `ranklab.background.enqueue_after_commit`. A lost
message or a failed check costs nothing but time: the verdict stays due in the database and
`moderation_sweep` (Celery beat) hands it out again. An audit run can be run again at any point
(it fills only what is missing), so a message handed out twice is harmless.
"""

from celery import shared_task

from safety.audit_runner import audit_run_execute as run_execute
from safety.audits import audit_runs_sweep
from safety.verdicts import comparison_moderate, message_moderate, moderation_sweep_collect


@shared_task(acks_late=True, reject_on_worker_lost=True)
def moderate_comparison(comparison_id: int) -> int:
    return comparison_moderate(comparison_id=comparison_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def moderate_message(message_id: int) -> int:
    return message_moderate(message_id=message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def moderation_sweep() -> int:
    """Check again the verdicts that are due: never checked (a lost message) or unavailable past their wait."""
    comparison_ids = moderation_sweep_collect()
    with moderate_comparison.app.producer_or_acquire() as producer:
        for comparison_id in comparison_ids:
            moderate_comparison.apply_async((comparison_id,), producer=producer)
    return len(comparison_ids)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def audit_run_execute(self, run_id: int) -> str:
    # A message handed out again after its worker died takes over the run that worker left running.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    return run_execute(run_id=run_id, take_over=redelivered).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def audit_sweep() -> int:
    """Beat: hand audit runs a dead worker or a lost message left behind to the queue again."""
    return len(audit_runs_sweep())
