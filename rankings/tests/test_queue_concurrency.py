"""Trainers asking for work at the same instant, each on its own PostgreSQL connection."""

import threading

import pytest
from django.db import connection

from labeler.models import Assignment, Comparison
from labeler.queue import assignment_lease_next
from rankings.models import Ranking
from rankings.tests.factories import lease, ready_comparisons, submit, trainers_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("lease_path")]

TRAINERS = 50


def at_once(work, arguments) -> list:
    """Run `work(argument)` in one thread per argument, released together; each thread has its own connection."""
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []

    def run(argument):
        try:
            barrier.wait()
            results.append(work(argument))
        except Exception as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_fifty_simultaneous_claims_never_over_assign(project):
    ready_comparisons(project, 10)
    trainers = trainers_of(project, TRAINERS)

    leased = at_once(lambda trainer: assignment_lease_next(project=project, trainer=trainer), trainers)

    per_comparison = {}
    for assignment in Assignment.objects.filter(status="active"):
        per_comparison[assignment.comparison_id] = per_comparison.get(assignment.comparison_id, 0) + 1
    assert max(per_comparison.values()) <= project.overlap
    assert sum(per_comparison.values()) == 30  # every slot was taken: 10 comparisons x overlap 3
    assert sum(assignment is None for assignment in leased) == TRAINERS - 30
    assert len({(a.trainer_id, a.comparison_id) for a in leased if a}) == 30


def test_one_trainer_clicking_start_many_times_at_once_gets_one_lease(project):
    ready_comparisons(project, 10)
    [trainer] = trainers_of(project, 1)

    leased = at_once(lambda _: assignment_lease_next(project=project, trainer=trainer), range(8))

    assert Assignment.objects.filter(trainer=trainer).count() == 1
    assert {assignment.id for assignment in leased} == {Assignment.objects.get().id}


def test_the_last_rankings_arriving_together_complete_the_comparison_once(project):
    [comparison] = ready_comparisons(project, 1)
    assignments = [lease(project, trainer) for trainer in trainers_of(project, project.overlap)]

    def reversed_order(assignment):
        return submit(assignment, tiers=[[candidate] for candidate in reversed(assignment.display_order)])

    at_once(reversed_order, assignments)

    comparison.refresh_from_db()
    assert comparison.rankings_count == project.overlap == Ranking.objects.count()
    assert comparison.status == Comparison.Status.COMPLETE
    assert comparison.completed_xid is not None
