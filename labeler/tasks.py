"""Celery tasks of the labeler: thin wrappers around the sampling services (the top of the app).

Services enqueue these by name through `ranklab.background.enqueue_after_commit`.

Every task is `acks_late` with reject-on-worker-lost: a message is acknowledged only once
its task has run, so a worker killed mid-task leaves it to be handed out again. That is
safe because the services claim work by conditional updates and store candidates in
unique slots (see labeler/sampling/sampler.py), and the periodic `sampling_sweep` covers
brokers that do not hand lost messages back (see labeler/sampling/queueing.py).
"""

import logging

from celery import shared_task
from django.conf import settings

from labeler.models import Comparison
from labeler.sampling.client import TransientSamplingError
from labeler.sampling.queueing import comparisons_never_enqueued, comparisons_stamp, sampling_sweep_collect
from labeler.sampling.sampler import comparison_give_up, comparison_sample, retry_delay

logger = logging.getLogger(__name__)

_FAN_OUT_CHUNK = 1000


def send_sampling(comparison_ids: list[int]) -> None:
    """One `sample_comparison` message per id, over one broker connection."""
    with sample_comparison.app.producer_or_acquire() as producer:
        for comparison_id in comparison_ids:
            sample_comparison.apply_async((comparison_id,), producer=producer)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sample_pending(project_id: int) -> int:
    """Hand the project's never-enqueued pending comparisons to the queue, a chunk at a time."""
    sent, last_id = 0, 0
    never_enqueued = comparisons_never_enqueued(project_id=project_id)
    while ids := comparisons_stamp(queryset=never_enqueued.filter(id__gt=last_id), limit=_FAN_OUT_CHUNK):
        send_sampling(ids)
        sent, last_id = sent + len(ids), ids[-1]
    return sent


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def sample_comparison(self, comparison_id: int) -> str | None:
    # A message handed out again after its worker died may take over the comparison that
    # worker left in `sampling`; a merely duplicated message may not.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        return comparison_sample(comparison_id=comparison_id, take_over=redelivered)
    except TransientSamplingError as error:
        if self.request.retries >= settings.RANKLAB_SAMPLING_MAX_RETRIES:
            comparison_give_up(comparison_id=comparison_id, attempts=self.request.retries + 1, error=error)
            return Comparison.Status.FAILED
        countdown = retry_delay(retries=self.request.retries, retry_after=error.retry_after)
        logger.info("Comparison %s: %s; retrying in %.1f s", comparison_id, error, countdown)
        raise self.retry(countdown=countdown, exc=error) from error


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sampling_sweep() -> int:
    """Hand stale, lost and never-enqueued comparisons to the queue again (Celery beat, every minute)."""
    ids = sampling_sweep_collect()
    send_sampling(ids)
    return len(ids)
