"""The "most informative first" queue order: by the score, with the queue's guarantees."""

import random

import pytest
from django.urls import reverse

from labeler.models import Assignment, Comparison, Project
from labeler.queue import comparisons_open_to, comparisons_waiting_count
from labeler.tests.factories import AssignmentFactory, ComparisonFactory
from rankings.informativeness import UNKNOWN
from rankings.models import Ranking
from rankings.queue_scores import queue_scores_refresh_stale
from rankings.tests.factories import lease, ready_comparisons, skip, submit, trainers_of
from rankings.tests.test_queue_concurrency import at_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lease_path")]


@pytest.fixture
def informative(project):
    project.queue_order = Project.QueueOrder.INFORMATIVE
    project.save(update_fields=["queue_order"])
    return project


def scored(comparison, score: float):
    Comparison.objects.filter(id=comparison.id).update(queue_score=score)
    return comparison


def as_shown(assignment, *, reverse_order=False):
    order = list(reversed(assignment.display_order)) if reverse_order else assignment.display_order
    return submit(assignment, tiers=[[candidate] for candidate in order], confirmed_display_order=True)


def in_id_order(assignment, *, reverse_order=False):
    ids = sorted(assignment.display_order, reverse=reverse_order)
    return submit(assignment, tiers=[[candidate] for candidate in ids], confirmed_display_order=True)


def test_it_leases_the_comparison_with_the_highest_score(informative, trainer):
    low, high, middle = ready_comparisons(informative, 3)
    for comparison, score in ((low, 0.2), (high, 0.9), (middle, 0.5)):
        scored(comparison, score)
    assert lease(informative, trainer).comparison == high


def test_a_comparison_someone_holds_waits_behind_one_nobody_holds(informative):
    first, second = ready_comparisons(informative, 2)
    a, b = trainers_of(informative, 2)
    assert lease(informative, a).comparison == first
    # Overlap 3: b may rank `first` too, but a's ranking of it is on its way.
    assert lease(informative, b).comparison == second


def test_equal_scores_go_oldest_first(informative, trainer):
    oldest, _ = ready_comparisons(informative, 2)
    assert lease(informative, trainer).comparison == oldest


def test_every_comparison_gets_a_first_ranking_before_any_gets_a_second(informative):
    first, second = ready_comparisons(informative, 2)
    a, b = trainers_of(informative, 2)
    assert in_id_order(lease(informative, a)).comparison == first
    # Oldest first would give b the partly ranked comparison; its first ranking told something already.
    assert lease(informative, b).comparison == second


def test_a_disagreement_brings_a_comparison_forward(informative):
    agreed, disputed = ready_comparisons(informative, 2)
    a, b, c = trainers_of(informative, 3)
    in_id_order(lease(informative, a))
    in_id_order(lease(informative, b))
    # Each now gets the other one: a the disputed comparison, b the one they agree on.
    in_id_order(lease(informative, a), reverse_order=True)
    in_id_order(lease(informative, b))
    agreed.refresh_from_db()
    disputed.refresh_from_db()
    assert disputed.queue_score == UNKNOWN
    # Two of three agree on every pair: the last ranking cannot turn any, so the score is 0.
    assert agreed.queue_score == 0
    assert lease(informative, c).comparison == disputed


def test_a_submission_rescores_its_comparison(informative):
    [comparison] = ready_comparisons(informative, 1)
    informative.overlap = 5
    informative.save(update_fields=["overlap"])
    a, b, c = trainers_of(informative, 3)
    assert comparison.queue_score == UNKNOWN

    in_id_order(lease(informative, a))
    comparison.refresh_from_db()
    after_one = comparison.queue_score
    assert 0 < after_one < UNKNOWN
    assert comparison.queue_score_rankings == comparison.rankings_count == 1

    in_id_order(lease(informative, b))
    comparison.refresh_from_db()
    assert comparison.queue_score < after_one  # two who agree leave less to learn than one
    in_id_order(lease(informative, c), reverse_order=True)
    comparison.refresh_from_db()
    assert comparison.queue_score > after_one
    assert comparison.queue_score_rankings == 3


def test_the_claim_offers_what_the_waiting_count_counts_in_score_order_unleased_first(informative):
    chance = random.Random(7)
    trainer, other = trainers_of(informative, 2)
    for _ in range(12):
        comparison = ComparisonFactory(project=informative, status=Comparison.Status.READY, with_candidates=True)
        scored(comparison, chance.choice([0.1, 0.5, 0.5, 1.0]))
        if chance.random() < 0.3:
            AssignmentFactory(comparison=comparison, trainer=trainer, status=Assignment.Status.SUBMITTED)
        if chance.random() < 0.3:
            AssignmentFactory(comparison=comparison, trainer=other, status=Assignment.Status.ACTIVE)
    in_order = comparisons_open_to(project=informative, trainer=trainer).order_by("-queue_score", "created_at", "id")
    leased = set(Assignment.objects.filter(status=Assignment.Status.ACTIVE).values_list("comparison_id", flat=True))
    # Those nobody holds a lease on first, then those a lease holds, each in score order.
    expected = sorted(in_order.values_list("id", flat=True), key=lambda comparison_id: comparison_id in leased)
    assert comparisons_waiting_count(project=informative, trainer=trainer) == len(expected)
    offered = []
    while (assignment := lease(informative, trainer)) is not None:
        offered.append(assignment.comparison_id)
        skip(assignment, trainer=trainer, reason="checking the order")
    assert offered == expected


def test_the_refresh_rescores_comparisons_no_submission_scored(informative):
    ranked, untouched = ready_comparisons(informative, 2)
    [trainer] = trainers_of(informative, 1)
    assignment = AssignmentFactory(comparison=ranked, trainer=trainer, status=Assignment.Status.SUBMITTED)
    candidates = sorted(ranked.candidates.values_list("id", flat=True))
    Ranking.objects.create(
        comparison=ranked, trainer=trainer, assignment=assignment, tiers=[[c] for c in candidates], display_order=[]
    )
    Comparison.objects.filter(id=ranked.id).update(rankings_count=1)  # written as an import or older code would

    assert queue_scores_refresh_stale() == 1
    ranked.refresh_from_db()
    assert ranked.queue_score < UNKNOWN and ranked.queue_score_rankings == 1
    assert queue_scores_refresh_stale() == 0
    untouched.refresh_from_db()
    assert untouched.queue_score == UNKNOWN


def test_changing_the_overlap_marks_the_scores_for_the_refresh(lead_client, informative):
    comparisons = ready_comparisons(informative, 2)
    data = {"name": informative.name, "kind": "comparison", "k": 4, "overlap": 5, "lease_minutes": 30}
    data["flags"] = "unsafe: Unsafe"
    assert lead_client.post(reverse("project_settings", args=[informative.slug]), data).status_code == 302
    assert queue_scores_refresh_stale() == len(comparisons)


@pytest.mark.django_db(transaction=True)
def test_trainers_ranking_at_once_never_over_assign_or_see_a_comparison_twice(informative):
    comparisons = ready_comparisons(informative, 6)
    trainers = trainers_of(informative, 12)

    def work(trainer):
        done = 0
        while (assignment := lease(informative, trainer)) is not None:
            in_id_order(assignment, reverse_order=trainer.id % 2 == 0)
            done += 1
        return done

    at_once(work, trainers)

    assert sum(Comparison.objects.get(id=c.id).rankings_count for c in comparisons) == 6 * informative.overlap
    per_pair = {}
    for assignment in Assignment.objects.all():
        per_pair[assignment.trainer_id, assignment.comparison_id] = (
            per_pair.get((assignment.trainer_id, assignment.comparison_id), 0) + 1
        )
    assert max(per_pair.values()) == 1
    assert all(c.rankings_count == informative.overlap for c in Comparison.objects.all())
    assert Comparison.objects.filter(status=Comparison.Status.COMPLETE).count() == 6


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_claims_never_over_assign_in_score_order(informative):
    for index, comparison in enumerate(ready_comparisons(informative, 10)):
        scored(comparison, index / 10)
    trainers = trainers_of(informative, 50)

    leased = at_once(lambda trainer: lease(informative, trainer), trainers)

    per_comparison = {}
    for assignment in Assignment.objects.filter(status="active"):
        per_comparison[assignment.comparison_id] = per_comparison.get(assignment.comparison_id, 0) + 1
    assert max(per_comparison.values()) <= informative.overlap
    assert sum(per_comparison.values()) == 30
    assert sum(assignment is None for assignment in leased) == 20
