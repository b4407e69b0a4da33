"""The periodic sweep of export jobs, so none stays `queued` or `running` for ever.

- `running` with no progress for RANKLAB_EXPORT_STALE_AFTER_SECONDS: its worker died
  mid-write (a live run renews `touched_at` every few hundred rows); it goes back to
  `queued` and to the queue. The broker's redelivery of the first message finds nothing
  to claim.
- `queued` and not handed to the queue for RANKLAB_EXPORT_REQUEUE_AFTER_SECONDS: the
  message was lost (the broker was down when the job was created, or lost its data).

A job handed out twice is harmless: only one run claims it, and a run taken back changes
nothing once the next one has claimed it (exports/services.py).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from exports.models import Export
from ranklab.background import enqueue_after_commit


def exports_sweep() -> list[int]:
    """Hand stale and lost export jobs to the queue again; their ids."""
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.RANKLAB_EXPORT_STALE_AFTER_SECONDS)
    sent_before = now - timedelta(seconds=settings.RANKLAB_EXPORT_REQUEUE_AFTER_SECONDS)
    again = []
    stale = Export.objects.filter(status=Export.Status.RUNNING, touched_at__lt=silent_since)
    for export_id, attempt in stale.values_list("id", "attempt"):
        if Export.objects.filter(id=export_id, status=Export.Status.RUNNING, attempt=attempt).update(
            status=Export.Status.QUEUED, progress=0, touched_at=now
        ):
            again.append(export_id)
    lost = Export.objects.filter(status=Export.Status.QUEUED).filter(
        Q(touched_at__lt=sent_before) | Q(touched_at__isnull=True, created_at__lt=sent_before)
    )
    for export_id in lost.values_list("id", flat=True):
        if Export.objects.filter(id=export_id, status=Export.Status.QUEUED).update(touched_at=now):
            again.append(export_id)
    for export_id in again:
        enqueue_after_commit("exports.tasks.export_run", export_id)
    return again
