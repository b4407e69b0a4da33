"""The trainer's queue: leasing the next comparison to rank.

A lease is an `Assignment` row. Every leaser locks the comparison row before counting its
leases, so while one trainer holds the lock, any other trainer either skips the row
(`SKIP LOCKED`) or, once the lock is released, counts a lease that has committed.
"""

import random
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from labeler.models import Assignment, Comparison, Membership, Project

# Under contention a claim may find every open row locked for a moment: it tries again.
_RETRIES = 30


def _active_leases(now) -> Subquery:
    leases = (
        Assignment.objects.filter(comparison=OuterRef("pk"), status=Assignment.Status.ACTIVE, expires_at__gt=now)
        .order_by()
        .values("comparison")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(leases, output_field=IntegerField()), 0)


def comparisons_open_to(*, project: Project, trainer, now=None) -> QuerySet[Comparison]:
    """Ready comparisons this trainer has not ranked, skipped or leased, that still need rankings."""
    now = now or timezone.now()
    seen = Assignment.objects.filter(comparison=OuterRef("pk"), trainer=trainer).filter(
        Q(status__in=[Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED])
        | Q(status=Assignment.Status.ACTIVE, expires_at__gt=now)
    )
    return (
        Comparison.objects.filter(project=project, status=Comparison.Status.READY)
        .alias(leases=_active_leases(now))
        .filter(rankings_count__lt=project.overlap - F("leases"))
        .exclude(Exists(seen))
    )


def assignment_current(*, project: Project, trainer) -> Assignment | None:
    """The trainer's own unexpired lease in this project, if they left one."""
    return (
        Assignment.objects.filter(
            comparison__project=project,
            trainer=trainer,
            status=Assignment.Status.ACTIVE,
            expires_at__gt=timezone.now(),
        )
        .select_related("comparison")
        .order_by("started_at")
        .first()
    )


def assignment_lease_next(*, project: Project, trainer) -> Assignment | None:
    """The trainer's current lease, or a new one on the best comparison open to them; None when done."""
    current = assignment_current(project=project, trainer=trainer)
    if current is not None:
        return current
    passed: list[int] = []
    for _ in range(_RETRIES):
        with transaction.atomic():
            # One claim at a time per trainer: a double click must not take two comparisons.
            Membership.objects.select_for_update().filter(project=project, user=trainer).values_list("id").first()
            current = assignment_current(project=project, trainer=trainer)
            if current is not None:
                return current
            now = timezone.now()
            comparison = (
                comparisons_open_to(project=project, trainer=trainer, now=now)
                .exclude(id__in=passed)
                .order_by("-rankings_count", "created_at", "id")
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if comparison is None:
                # Rows locked by other trainers were skipped; if open work remains, ask again.
                if not comparisons_open_to(project=project, trainer=trainer).exclude(id__in=passed).exists():
                    return None
                time.sleep(random.uniform(0.002, 0.02))
                continue
            # This statement's snapshot is newer than the lock: it sees every lease committed
            # by a trainer who held the lock before us.
            if not _still_needs_rankings(comparison_id=comparison.id, overlap=project.overlap, now=now):
                passed.append(comparison.id)
                continue
            _expire_lapsed(trainer=trainer, now=now)
            order = list(comparison.candidates.values_list("id", flat=True))
            random.shuffle(order)
            return Assignment.objects.create(
                comparison=comparison,
                trainer=trainer,
                display_order=order,
                expires_at=now + timedelta(minutes=project.lease_minutes),
            )
    return None


def _still_needs_rankings(*, comparison_id: int, overlap: int, now) -> bool:
    row = (
        Comparison.objects.filter(id=comparison_id, status=Comparison.Status.READY)
        .annotate(leases=_active_leases(now))
        .values_list("rankings_count", "leases")
        .first()
    )
    return row is not None and row[0] + row[1] < overlap


def _expire_lapsed(*, trainer, now) -> None:
    """Mark the trainer's lapsed leases expired, so that a new lease on the same comparison can be active.

    Every read already treats a lease past `expires_at` as gone; this only tidies the rows.
    """
    Assignment.objects.filter(trainer=trainer, status=Assignment.Status.ACTIVE, expires_at__lte=now).update(
        status=Assignment.Status.EXPIRED, finished_at=now
    )


def comparisons_waiting_count(*, project: Project, trainer) -> int:
    """How many comparisons the trainer could still be given in this project."""
    return comparisons_open_to(project=project, trainer=trainer).count()
