from celery import shared_task

from exports.services import export_write
from exports.sweep import exports_sweep
from exports.webhooks import DeliveryFailed, delivery_give_up, delivery_send

WEBHOOK_MAX_RETRIES = 8


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_run(export_id: int) -> None:
    export_write(export_id=export_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_sweep() -> int:
    """Beat: hand export jobs a dead worker or a lost message left behind to the queue again."""
    return len(exports_sweep())


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DeliveryFailed,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=WEBHOOK_MAX_RETRIES,
)
def webhook_deliver(self, delivery_id: int) -> bool:
    """Send a webhook; Celery retries with exponential backoff and jitter, then it is marked failed."""
    if delivery_send(delivery_id=delivery_id):
        return True
    if self.request.retries >= WEBHOOK_MAX_RETRIES:
        delivery_give_up(delivery_id=delivery_id)
        return False
    raise DeliveryFailed(f"delivery {delivery_id} was not accepted")
