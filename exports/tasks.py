from celery import shared_task

from exports.services import export_write


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_run(export_id: int) -> None:
    export_write(export_id=export_id)
