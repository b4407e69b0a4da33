"""Which comparisons to hand to the sampling queue, and the lead's retry/resample actions.

Neither Celery's filesystem broker (`make run`) nor a Redis that loses its data gives back
a message lost with a worker, so nothing relies on the broker alone: a comparison is
stamped (`sampling_started_at`) when it is handed to the queue, and the periodic sweep
hands out again the ones whose stamp is too old, in bounded batches:

- `sampling` with no sign of life for RANKLAB_SAMPLING_STALE_AFTER_SECONDS: its worker
  died (a live run renews its stamp every RANKLAB_SAMPLING_HEARTBEAT_SECONDS, however long
  its requests take);
- `pending` and never stamped for over a minute: the enqueue after its commit failed;
- `pending` and stamped longer ago than RANKLAB_SAMPLING_REQUEUE_AFTER_SECONDS: the
  message was lost before a worker claimed it.

A comparison handed out twice is harmless: the second run finds nothing to claim.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from labeler.models import Assignment, Candidate, Comparison, Project
from ranklab.background import enqueue_after_commit
from ranklab.errors import RankLabError

_NEVER_ENQUEUED_GRACE = timedelta(minutes=1)


def enqueue_sampling(*, project_id: int) -> None:
    """Sample the project's pending comparisons that were never handed to the queue, once committed.

    One small message whatever the size of the import: `sample_pending` fans out in chunks.
    """
    enqueue_after_commit("labeler.tasks.sample_pending", project_id)


def enqueue_comparison_sampling(*, comparison_id: int) -> None:
    """Sample one pending comparison once the current transaction commits (chat turns, resample)."""
    now = timezone.now()
    Comparison.objects.filter(id=comparison_id, status=Comparison.Status.PENDING).update(
        sampling_started_at=now, updated_at=now
    )
    enqueue_after_commit("labeler.tasks.sample_comparison", comparison_id)


def comparisons_stamp(*, queryset: QuerySet[Comparison], limit: int) -> list[int]:
    """Stamp up to `limit` comparisons as handed to the queue now and return their ids.

    Rows locked by a concurrent stamper are skipped, so two sweeps (or a sweep and an
    import's fan-out) never hand out the same comparison at the same time.
    """
    with transaction.atomic():
        ids = list(queryset.select_for_update(skip_locked=True).order_by("id").values_list("id", flat=True)[:limit])
        if ids:
            now = timezone.now()
            Comparison.objects.filter(id__in=ids).update(
                status=Comparison.Status.PENDING, sampling_started_at=now, updated_at=now
            )
    return ids


def comparisons_never_enqueued(*, project_id: int | None = None) -> QuerySet[Comparison]:
    comparisons = Comparison.objects.filter(status=Comparison.Status.PENDING, sampling_started_at__isnull=True)
    return comparisons if project_id is None else comparisons.filter(project_id=project_id)


def sampling_sweep_collect() -> list[int]:
    """Stamp and return the comparisons the sweep should hand to the queue again."""
    now, batch = timezone.now(), settings.RANKLAB_SAMPLING_SWEEP_BATCH
    stale = Comparison.objects.filter(
        status=Comparison.Status.SAMPLING,
        sampling_started_at__lt=now - timedelta(seconds=settings.RANKLAB_SAMPLING_STALE_AFTER_SECONDS),
    )
    never = comparisons_never_enqueued().filter(created_at__lt=now - _NEVER_ENQUEUED_GRACE)
    lost = Comparison.objects.filter(
        status=Comparison.Status.PENDING,
        sampling_started_at__lt=now - timedelta(seconds=settings.RANKLAB_SAMPLING_REQUEUE_AFTER_SECONDS),
    )
    return [
        *comparisons_stamp(queryset=stale, limit=batch),
        *comparisons_stamp(queryset=never, limit=batch),
        *comparisons_stamp(queryset=lost, limit=batch),
    ]


def comparisons_retry_failed(*, project: Project) -> int:
    """Put the project's failed comparisons back in the queue; their stored candidates stay."""
    with transaction.atomic():
        count = project.comparisons.filter(status=Comparison.Status.FAILED).update(
            status=Comparison.Status.PENDING, failure_reason="", sampling_started_at=None, updated_at=timezone.now()
        )
        if count:
            enqueue_sampling(project_id=project.id)
    return count


def comparisons_enqueue_pending(*, project: Project) -> int:
    """Hand every pending comparison of the project to the queue now, stamped or not."""
    with transaction.atomic():
        count = project.comparisons.filter(status=Comparison.Status.PENDING).update(sampling_started_at=None)
        enqueue_sampling(project_id=project.id)
    return count


def comparison_resample(*, project: Project, comparison_id: int) -> Comparison:
    """Throw away a comparison's sampled candidates and sample new ones.

    Only before anyone ranked it: rankings refer to the candidates they ordered.
    """
    with transaction.atomic():
        comparison = Comparison.objects.select_for_update().filter(project=project, id=comparison_id).first()
        if comparison is None:
            raise RankLabError("There is no such comparison in this project.")
        if comparison.status == Comparison.Status.SAMPLING:
            raise RankLabError(f"Comparison {comparison.id} is being sampled right now; try again when it is done.")
        if comparison.rankings_count or comparison.status == Comparison.Status.COMPLETE:
            raise RankLabError(f"Comparison {comparison.id} has rankings already; its candidates must stay.")
        if comparison.assignments.filter(status=Assignment.Status.ACTIVE).exists():
            raise RankLabError(f"A trainer is ranking comparison {comparison.id} right now; try again later.")
        comparison.candidates.filter(source=Candidate.Source.MODEL).delete()
        comparison.status = Comparison.Status.PENDING
        comparison.failure_reason = ""
        comparison.sampling_started_at = None
        comparison.save(update_fields=["status", "failure_reason", "sampling_started_at", "updated_at"])
        enqueue_comparison_sampling(comparison_id=comparison.id)
    return comparison
