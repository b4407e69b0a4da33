"""The trainer's queue: leasing the next comparison to rank.

A lease is an `Assignment` row. The claim locks the comparison row it picks (`FOR UPDATE SKIP
LOCKED`, so trainers never wait on each other), then counts that comparison's leases again in a
fresh statement: its snapshot is newer than the lock, so it sees every lease committed by a
trainer who held the lock before.

The rule of which comparisons are open to a trainer is written three times: `comparisons_open_to`
here (the ORM), `ranklab_open_to_trainer` in the newest labeler/sql/lease_next_vN.sql (one
comparison at a time, for the claims' index walks), and `ranklab_waiting_count` in the newest
labeler/sql/waiting_count_vN.sql (over many rows, for the count the ranking page shows). On
PostgreSQL the whole lease is one call of `ranklab_lease_next`, one round trip on the trainers'
hot path, and the count one call too. `_lease_step_by_step` and `_waiting_count_through_orm`
run the same steps through the ORM: SQLite runs them (it serialises writers and
ignores the lock clause), and the queue tests run both ways on PostgreSQL to keep them in step.
"""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from labeler.models import Assignment, Candidate, Comparison, Membership, Project
from ranklab.database import commit_without_flush

# Under contention a claim may find every open row locked for a moment: it tries again.
_RETRIES = 30

# How many partly ranked comparisons, at most, a claim looks through before it turns to fresh
# ones. Past it are only comparisons this trainer ranked that still wait for others (a team
# smaller than the overlap leaves many): walking all of them would make every claim slower.
PREFERENCE_WINDOW = 200


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
    # The trainer's own comparisons as one set (PostgreSQL hashes it once), not an anti-join: the
    # join's plan rests on an estimate of how many they are, and with the estimate of a trainer
    # who had ranked nothing at the last ANALYZE it walked all of them again for every comparison.
    seen = (
        Assignment.objects.filter(trainer=trainer)
        .filter(
            Q(status__in=[Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED])
            | Q(status=Assignment.Status.ACTIVE, expires_at__gt=now)
        )
        .values("comparison_id")
    )
    return (
        Comparison.objects.filter(project=project, status=Comparison.Status.READY)
        .alias(leases=_active_leases(now))
        .filter(rankings_count__lt=project.overlap - F("leases"))
        .exclude(id__in=seen)
    )


def comparisons_waiting_count(*, project: Project, trainer, up_to: int | None = None) -> int:
    """How many comparisons the trainer could still be given in this project, counting no further than `up_to`.

    A full count walks every open comparison: hundreds of milliseconds at 100k.
    """
    count = WAITING_COUNT_BY_VENDOR.get(connection.vendor, _waiting_count_through_orm)
    return count(project=project, trainer=trainer, up_to=up_to)


def _waiting_count_in_one_call(*, project: Project, trainer, up_to: int | None) -> int:
    # The ranking page asks this on every request: the ORM's building of the query and the
    # planner took more of it than the count itself (labeler/sql/waiting_count_v1.sql).
    with connection.cursor() as cursor:
        cursor.execute("SELECT ranklab_waiting_count(%s, %s, %s, %s)", [project.id, trainer.id, project.overlap, up_to])
        return cursor.fetchone()[0]


def _waiting_count_through_orm(*, project: Project, trainer, up_to: int | None) -> int:
    open_to = comparisons_open_to(project=project, trainer=trainer)
    return (open_to[:up_to] if up_to else open_to).count()


WAITING_COUNT_BY_VENDOR = {"postgresql": _waiting_count_in_one_call}


def _own_leases(*, project: Project, trainer, now) -> tuple[Assignment | None, list[int]]:
    """The trainer's oldest live lease in the project, and the ids of their lapsed ones."""
    current, lapsed = None, []
    leases = (
        Assignment.objects.filter(
            comparison__project=project,
            comparison__status=Comparison.Status.READY,
            trainer=trainer,
            status=Assignment.Status.ACTIVE,
        )
        .select_related("comparison")
        .order_by("started_at")
    )
    for lease in leases:
        if lease.expires_at <= now:
            lapsed.append(lease.id)
        elif current is None:
            current = lease
    return current, lapsed


def assignment_lease_next(*, project: Project, trainer) -> Assignment | None:
    """The trainer's current lease, or a new one on the best comparison open to them; None when done or paused."""
    lease = LEASE_BY_VENDOR.get(connection.vendor, _lease_step_by_step)
    return lease(project=project, trainer=trainer)


def _lease_in_one_call(*, project: Project, trainer) -> Assignment | None:
    # Inside a caller's transaction the commit is theirs: its durability is not the lease's to relax.
    leased = Assignment.objects.raw(
        "SELECT * FROM ranklab_lease_next(%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            project.id,
            trainer.id,
            project.overlap,
            project.lease_minutes,
            PREFERENCE_WINDOW,
            _RETRIES,
            not connection.in_atomic_block,
            project.queue_order,
        ],
    )
    return next(iter(leased), None)


def _lease_step_by_step(*, project: Project, trainer) -> Assignment | None:
    passed: list[int] = []
    for _ in range(_RETRIES):
        with transaction.atomic():
            commit_without_flush()
            # One claim at a time per trainer: a double click must not take two comparisons. The
            # lock is a pause's too: a trainer paused takes nothing.
            membership = (
                Membership.objects.select_for_update().filter(project=project, user=trainer).values("paused_at").first()
            )
            if membership is not None and membership["paused_at"] is not None:
                return None
            now = timezone.now()
            current, lapsed = _own_leases(project=project, trainer=trainer, now=now)
            if current is not None:
                return current
            if lapsed:
                # Lapsed leases already count as gone; marking them lets a new lease on the
                # same comparison be the trainer's one active row there.
                Assignment.objects.filter(id__in=lapsed).update(status=Assignment.Status.EXPIRED, finished_at=now)
            comparison = _claim(project=project, trainer=trainer, now=now, passed=passed)
            if comparison is None:
                # Rows locked by other trainers were skipped; if open work remains, ask again.
                if not comparisons_open_to(project=project, trainer=trainer).exclude(id__in=passed).exists():
                    return None
                time.sleep(random.uniform(0.002, 0.02))
                continue
            # The recount, in a statement of its own: its snapshot is newer than the lock.
            if not comparisons_open_to(project=project, trainer=trainer, now=now).filter(id=comparison.id).exists():
                passed.append(comparison.id)
                continue
            order = list(comparison.candidates.values_list("id", flat=True))
            random.shuffle(order)
            return Assignment.objects.create(
                comparison=comparison,
                trainer=trainer,
                display_order=order,
                expires_at=now + timedelta(minutes=project.lease_minutes),
            )
    return None


LEASE_BY_VENDOR = {"postgresql": _lease_in_one_call}


# Oldest first: partly ranked comparisons first, so they complete first; then the oldest.
_QUEUE_ORDER = ("-rankings_count", "created_at", "id")
# Most informative first: the comparison whose next ranking is expected to change its consensus most.
_INFORMATIVE_ORDER = ("-queue_score", "created_at", "id")


def queue_order_by(project: Project) -> tuple[str, ...]:
    """The order in which the project's open comparisons are handed out."""
    return _INFORMATIVE_ORDER if project.queue_order == Project.QueueOrder.INFORMATIVE else _QUEUE_ORDER


def _claim(*, project: Project, trainer, now, passed: list[int]) -> Comparison | None:
    """Lock and return the best comparison open to the trainer, skipping rows other claims hold.

    Oldest first: two bounded walks of the index `comparison_ready_queue_idx`, the first
    PREFERENCE_WINDOW partly ranked comparisons, then the fresh ones. Most informative first: two
    walks of `comparison_ready_score_idx` up to the first open row, among comparisons nobody holds a
    live lease on, then among all; with no window: the trainer's own waiting comparisons lie
    anywhere in score order, and a window could hide open work behind them.
    """
    open_to = comparisons_open_to(project=project, trainer=trainer, now=now).exclude(id__in=passed)
    if project.queue_order == Project.QueueOrder.INFORMATIVE:
        # A live lease is a ranking on its way that the score does not know of yet: trainers asking
        # at once spread over the head of the order instead of piling onto its first row.
        steps = [open_to.filter(leases=0), open_to]
    else:
        window = (
            Comparison.objects.filter(project=project, status=Comparison.Status.READY, rankings_count__gt=0)
            .order_by(*_QUEUE_ORDER)
            .values("id")[:PREFERENCE_WINDOW]
        )
        steps = [open_to.filter(id__in=window), open_to.filter(rankings_count=0)]
    for step in steps:
        comparison = step.order_by(*queue_order_by(project)).select_for_update(skip_locked=True).first()
        if comparison is not None:
            return comparison
    return None


def queue_scores_invalidate(*, project: Project) -> int:
    """Mark the scores of the project's open comparisons stale, for the background refresh to recompute.

    A score counts the rankings a comparison may still get: a change of the overlap changes it.
    """
    return Comparison.objects.filter(project=project, status=Comparison.Status.READY).update(queue_score_rankings=-1)


def leases_order_fill(*, comparison_id: int) -> None:
    """Give the leases taken before the candidates existed (a chat turn's own) their shuffled display order."""
    order = list(Candidate.objects.filter(comparison_id=comparison_id).values_list("id", flat=True))
    for lease_id in Assignment.objects.filter(comparison_id=comparison_id, display_order=[]).values_list(
        "id", flat=True
    ):
        random.shuffle(order)
        Assignment.objects.filter(id=lease_id, display_order=[]).update(display_order=list(order))
