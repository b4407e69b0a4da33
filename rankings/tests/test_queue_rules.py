"""The claim (hand-written SQL) and the waiting count (ORM) follow the same rules."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from labeler.models import Assignment, Comparison
from labeler.queue import comparisons_open_to, comparisons_waiting_count
from labeler.tests.factories import AssignmentFactory, ComparisonFactory
from rankings.tests.factories import lease, skip, trainers_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lease_path")]

OWN_STATES = [None, None, "submitted", "skipped", "active", "lapsed", "expired"]


def lease_row(comparison, trainer, state):
    expires = timezone.now() + (timedelta(minutes=-1) if state == "lapsed" else timedelta(minutes=30))
    status = Assignment.Status.ACTIVE if state == "lapsed" else state
    return AssignmentFactory(comparison=comparison, trainer=trainer, status=status, expires_at=expires)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_claim_offers_exactly_what_the_waiting_count_counts_in_order(project, seed):
    chance = random.Random(seed)
    trainer, *others = trainers_of(project, 4)
    for _ in range(16):
        status = chance.choice([Comparison.Status.READY] * 4 + [Comparison.Status.PENDING, Comparison.Status.COMPLETE])
        comparison = ComparisonFactory(project=project, status=status, with_candidates=True)
        comparison.rankings_count = chance.randint(0, project.overlap - 1)
        comparison.save(update_fields=["rankings_count"])
        for other in chance.sample(others, chance.randint(0, len(others))):
            lease_row(comparison, other, chance.choice(["active", "lapsed", "expired", "submitted"]))
        if own := chance.choice(OWN_STATES):
            lease_row(comparison, trainer, own)
    expected = list(
        comparisons_open_to(project=project, trainer=trainer)
        .order_by("-rankings_count", "created_at", "id")
        .values_list("id", flat=True)
    )
    assert comparisons_waiting_count(project=project, trainer=trainer) == len(expected)

    # Leases the trainer already holds come back first, then the claims, in queue order.
    held = set(
        Assignment.objects.filter(
            trainer=trainer, status="active", expires_at__gt=timezone.now(), comparison__status="ready"
        ).values_list("id", flat=True)
    )
    offered = []
    while (assignment := lease(project, trainer)) is not None:
        if assignment.id not in held:
            offered.append(assignment.comparison_id)
        else:
            assert not offered
        skip(assignment, trainer=trainer, reason="checking the order")
    assert offered == expected
