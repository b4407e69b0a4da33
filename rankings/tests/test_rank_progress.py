"""The ranking page's progress line: one statement on PostgreSQL, the same counts as the ORM's two."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rankings.models import Ranking
from rankings.progress import ranked_and_waiting, ranked_and_waiting_through_orm
from rankings.tests.factories import lease, ready_comparisons, submit, trainers_of

pytestmark = pytest.mark.django_db


def rank_one(project, trainer):
    assignment = lease(project, trainer)
    return submit(assignment, trainer=trainer, tiers=[[c] for c in reversed(assignment.display_order)])


def test_both_ways_count_what_was_ranked_since_and_what_waits(project, trainer):
    (other,) = trainers_of(project, 1)
    ready_comparisons(project, 7)
    yesterday = rank_one(project, trainer)
    Ranking.objects.filter(id=yesterday.id).update(submitted_at=timezone.now() - timedelta(days=1))
    rank_one(project, trainer)
    rank_one(project, trainer)
    rank_one(project, other)
    lease(project, trainer)  # held: not waiting any more
    since = timezone.now() - timedelta(hours=1)

    for up_to in (100, 2):
        expected = ranked_and_waiting_through_orm(project=project, trainer=trainer, since=since, up_to=up_to)
        assert ranked_and_waiting(project=project, trainer=trainer, since=since, up_to=up_to) == expected
    assert ranked_and_waiting(project=project, trainer=trainer, since=since, up_to=100) == (2, 3)
    assert ranked_and_waiting(project=project, trainer=trainer, since=since, up_to=2) == (2, 2)


def test_another_projects_rankings_are_not_counted(project, trainer):
    from labeler.tests.factories import MembershipFactory, ProjectFactory

    elsewhere = ProjectFactory()
    MembershipFactory(project=elsewhere, user=trainer, role="trainer")
    ready_comparisons(elsewhere, 2)
    rank_one(elsewhere, trainer)
    ready_comparisons(project, 1)
    since = timezone.now() - timedelta(hours=1)
    assert ranked_and_waiting(project=project, trainer=trainer, since=since, up_to=100) == (0, 1)
