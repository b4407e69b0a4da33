"""Celery tasks of the safety loop: thin wrappers around its services (the top of the app).

Services enqueue these by name through `ranklab.background.enqueue_after_commit`. A run can be
run again at any point (it fills only what is missing), so a message handed out twice is harmless.
"""

from celery import shared_task

from safety.audit_runner import audit_run_execute as run_execute
from safety.audits import audit_runs_sweep


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def audit_run_execute(self, run_id: int) -> str:
    # A message handed out again after its worker died takes over the run that worker left running.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    return run_execute(run_id=run_id, take_over=redelivered).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def audit_sweep() -> int:
    """Beat: hand audit runs a dead worker or a lost message left behind to the queue again."""
    return len(audit_runs_sweep())
