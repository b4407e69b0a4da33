"""The trainer's queue: leasing the next comparison to rank.

A lease is an `Assignment` row. The claim locks the comparison row it picks (`FOR UPDATE SKIP
LOCKED`, so trainers never wait on each other), then counts that comparison's leases again in a
fresh statement: its snapshot is newer than the lock, so it sees every lease committed by a
trainer who held the lock before.

On PostgreSQL the whole lease is one call of the function `ranklab_lease_next` (migration
labeler/0002), one round trip on the trainers' hot path. `_lease_step_by_step` runs the same
steps from Python, statement by statement: SQLite runs it (it serialises writers, so the lock
clause is left out), and the queue tests run both on PostgreSQL to keep them in step.
"""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from labeler.models import Assignment, Comparison, Membership, Project

# Under contention a claim may find every open row locked for a moment: it tries again.
_RETRIES = 30

# How many partly ranked comparisons, at most, a claim looks through before it turns to fresh
# ones. Past it are only comparisons this trainer ranked that still wait for others (a team
# smaller than the overlap leaves many): walking all of them would make every claim slower.
PREFERENCE_WINDOW = 200

# The hot path, written out: the ORM spends longer compiling it than the database running it.
# It runs in two steps, each a bounded walk of the index `comparison_ready_queue_idx`: first
# the partly ranked comparisons (the first PREFERENCE_WINDOW of them in queue order), so they
# complete first; then, if none is open, the oldest fresh ones, where the rows walked past are
# only those fully leased or skipped by this trainer. The cost follows the work in flight, not
# the size of the queue. Keep in step with `comparisons_open_to` and with `ranklab_lease_next`:
# test_queue_rules checks that the three agree.
_OPEN_TO_TRAINER = """
  c.rankings_count + (
    SELECT count(*) FROM labeler_assignment a
    WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > %s
  ) < %s
  AND NOT EXISTS (
    SELECT 1 FROM labeler_assignment s
    WHERE s.comparison_id = c.id AND s.trainer_id = %s
      AND (s.status IN ('submitted', 'skipped') OR (s.status = 'active' AND s.expires_at > %s))
  )"""
# Materialised, so the database takes the window first and never walks the rest of the index.
_CLAIM_PARTLY_RANKED_SQL = """
WITH head AS MATERIALIZED (
  SELECT w.id FROM labeler_comparison w
  WHERE w.project_id = %s AND w.status = 'ready' AND w.rankings_count > 0
  ORDER BY w.rankings_count DESC, w.created_at, w.id
  LIMIT %s
)
SELECT c.* FROM head JOIN labeler_comparison c ON c.id = head.id
WHERE c.status = 'ready' AND {open_to_trainer} {passed}
ORDER BY c.rankings_count DESC, c.created_at, c.id
LIMIT 1 {lock}
"""
_CLAIM_FRESH_SQL = """
SELECT c.* FROM labeler_comparison c
WHERE c.project_id = %s AND c.status = 'ready' AND c.rankings_count = 0
  AND {open_to_trainer} {passed}
ORDER BY c.rankings_count DESC, c.created_at, c.id
LIMIT 1 {lock}
"""

_OPEN_SLOTS_SQL = """
SELECT %s - c.rankings_count - (
  SELECT count(*) FROM labeler_assignment a
  WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > %s
)
FROM labeler_comparison c WHERE c.id = %s AND c.status = 'ready'
"""


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


def comparisons_waiting_count(*, project: Project, trainer, up_to: int | None = None) -> int:
    """How many comparisons the trainer could still be given in this project, counting no further than `up_to`.

    A full count walks every open comparison: hundreds of milliseconds at 100k.
    """
    open_to = comparisons_open_to(project=project, trainer=trainer)
    return (open_to[:up_to] if up_to else open_to).count()


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
    """The trainer's current lease, or a new one on the best comparison open to them; None when done."""
    lease = LEASE_BY_VENDOR.get(connection.vendor, _lease_step_by_step)
    return lease(project=project, trainer=trainer)


def _lease_in_one_call(*, project: Project, trainer) -> Assignment | None:
    # Inside a caller's transaction the commit is theirs: its durability is not the lease's to relax.
    leased = Assignment.objects.raw(
        "SELECT * FROM ranklab_lease_next(%s, %s, %s, %s, %s, %s, %s)",
        [
            project.id,
            trainer.id,
            project.overlap,
            project.lease_minutes,
            PREFERENCE_WINDOW,
            _RETRIES,
            not connection.in_atomic_block,
        ],
    )
    return next(iter(leased), None)


def _lease_step_by_step(*, project: Project, trainer) -> Assignment | None:
    passed: list[int] = []
    for _ in range(_RETRIES):
        with transaction.atomic():
            _skip_commit_flush()
            # One claim at a time per trainer: a double click must not take two comparisons.
            Membership.objects.select_for_update().filter(project=project, user=trainer).values_list("id").first()
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
            if _open_slots(comparison_id=comparison.id, overlap=project.overlap, now=now) <= 0:
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


def _claim_statement(*, project: Project, trainer, now, passed: list[int], fresh: bool) -> tuple[str, list]:
    """One step of the claim, as SQL and parameters for this database."""
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (_CLAIM_FRESH_SQL if fresh else _CLAIM_PARTLY_RANKED_SQL).format(
        open_to_trainer=_OPEN_TO_TRAINER,
        passed=f"AND c.id NOT IN ({', '.join(['%s'] * len(passed))})" if passed else "",
        lock="FOR UPDATE OF c SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else "",
    )
    head = [project.id] if fresh else [project.id, PREFERENCE_WINDOW]
    return sql, [*head, at, project.overlap, trainer.id, at, *passed]


def _claim(*, project: Project, trainer, now, passed: list[int]) -> Comparison | None:
    for fresh in (False, True):
        sql, params = _claim_statement(project=project, trainer=trainer, now=now, passed=passed, fresh=fresh)
        comparison = next(iter(Comparison.objects.raw(sql, params)), None)
        if comparison is not None:
            return comparison
    return None


def _open_slots(*, comparison_id: int, overlap: int, now) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_SLOTS_SQL, [overlap, connection.ops.adapt_datetimefield_value(now), comparison_id])
        row = cursor.fetchone()
    return row[0] if row else 0


def _skip_commit_flush() -> None:
    """Commit this transaction without waiting for the WAL flush.

    A lease is soft state: if the database crashes in the next few milliseconds and forgets it,
    the trainer is simply given a comparison again. Rankings are committed durably as usual.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
