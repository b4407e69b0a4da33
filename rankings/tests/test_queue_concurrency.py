"""Fifty trainers asking for work at the same instant, each on its own PostgreSQL connection."""

import threading

import pytest
from django.db import connection

from labeler.models import Assignment
from labeler.queue import assignment_lease_next
from rankings.tests.factories import ready_comparisons, trainers_of

pytestmark = pytest.mark.django_db(transaction=True)

TRAINERS = 50


def test_simultaneous_claims_never_over_assign(project):
    project.overlap = 3
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 10)
    trainers = trainers_of(project, TRAINERS)
    barrier = threading.Barrier(TRAINERS)
    leased, errors = [], []

    def claim(trainer):
        try:
            barrier.wait()
            assignment = assignment_lease_next(project=project, trainer=trainer)
            leased.append(assignment and assignment.comparison_id)
        except Exception as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(trainer,)) for trainer in trainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    per_comparison = {}
    for assignment in Assignment.objects.filter(status="active"):
        per_comparison[assignment.comparison_id] = per_comparison.get(assignment.comparison_id, 0) + 1
    assert max(per_comparison.values()) <= 3
    assert sum(per_comparison.values()) == 30  # every slot was taken: 10 comparisons x overlap 3
    assert leased.count(None) == TRAINERS - 30
