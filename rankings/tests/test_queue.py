import pytest

from labeler.models import Assignment, Comparison
from labeler.queue import assignment_lease_next
from labeler.tests.factories import AssignmentFactory, ComparisonFactory
from rankings.tests.factories import expire, lease, ready_comparisons, skip, submit, trainers_of
from ranklab.errors import RankLabError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lease_path")]


def rank_as_shown_reversed(assignment, trainer):
    tiers = [[candidate] for candidate in reversed(assignment.display_order)]
    return submit(assignment, trainer=trainer, tiers=tiers, flags={})


def test_it_leases_the_oldest_ready_comparison(project, trainer):
    oldest, _ = ready_comparisons(project, 2)
    ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    assignment = lease(project, trainer)
    assert assignment.comparison == oldest
    assert sorted(assignment.display_order) == sorted(oldest.candidates.values_list("id", flat=True))


def test_it_prefers_comparisons_that_already_have_rankings(project):
    first, second = ready_comparisons(project, 2)
    a, b = trainers_of(project, 2)
    assignment = lease(project, a)
    assert assignment.comparison == first
    skip(assignment, trainer=a, reason="can't judge")
    second_lease = lease(project, a)
    rank_as_shown_reversed(second_lease, a)
    assert lease(project, b).comparison == second


def test_a_returning_trainer_finds_their_own_lease(project, trainer):
    ready_comparisons(project, 3)
    assert lease(project, trainer) == lease(project, trainer)


def test_it_never_gives_more_leases_than_the_overlap(project):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    [comparison] = ready_comparisons(project, 1)
    leases = [lease(project, trainer) for trainer in trainers_of(project, 3)]
    assert [bool(x) for x in leases] == [True, True, False]
    assert comparison.assignments.count() == 2


def test_an_expired_lease_goes_back_to_the_pool(project):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    [comparison] = ready_comparisons(project, 1)
    a, b = trainers_of(project, 2)
    expire(lease(project, a))
    assert lease(project, b).comparison == comparison


def test_a_trainer_does_not_get_what_they_ranked_or_skipped(project, trainer):
    ready_comparisons(project, 2)
    rank_as_shown_reversed(lease(project, trainer), trainer)
    skipped = lease(project, trainer)
    skip(skipped, trainer=trainer, reason="can't judge")
    assert lease(project, trainer) is None


def test_the_last_ranking_completes_the_comparison(project):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    [comparison] = ready_comparisons(project, 1)
    for trainer in trainers_of(project, 2):
        rank_as_shown_reversed(lease(project, trainer), trainer)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.COMPLETE
    assert comparison.rankings_count == 2
    assert comparison.completed_xid is not None


# In one call: the function. Step by step: savepoint, no commit flush, trainer lock, own leases,
# then for a new lease the claim (no partly ranked comparison yet, so both steps), its recount,
# candidates and insert; release.
QUERIES = {"in one call": {"returning": 1, "new": 1}, "step by step": {"returning": 5, "new": 10}}


def test_a_returning_trainer_gets_their_lease_back_in_a_fixed_number_of_queries(
    project, trainer, lease_path, django_assert_num_queries
):
    ready_comparisons(project, 5)
    first = lease(project, trainer)
    with django_assert_num_queries(QUERIES[lease_path]["returning"]):
        assert assignment_lease_next(project=project, trainer=trainer) == first


def test_a_new_lease_takes_a_fixed_number_of_queries(project, trainer, lease_path, django_assert_num_queries):
    ready_comparisons(project, 50)
    with django_assert_num_queries(QUERIES[lease_path]["new"]):
        assignment_lease_next(project=project, trainer=trainer)
    assert Assignment.objects.count() == 1


def test_lapsed_leases_are_marked_expired_when_the_trainer_comes_back(project):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 2)
    [trainer] = trainers_of(project, 1)
    lapsed = lease(project, trainer)
    expire(lapsed)
    again = lease(project, trainer)
    lapsed.refresh_from_db()
    assert lapsed.status == Assignment.Status.EXPIRED
    assert again.status == Assignment.Status.ACTIVE
    assert again.comparison == lapsed.comparison  # still the oldest open one, and theirs to take again


def test_skipping_needs_a_reason(project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    with pytest.raises(RankLabError, match="Say why"):
        skip(assignment, trainer=trainer, reason="  ")
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACTIVE


def test_the_preference_for_partly_ranked_work_looks_only_at_the_head_of_the_queue(project, monkeypatch):
    """A trainer whose own rankings wait for others is given fresh work without walking them all."""
    from labeler import queue

    monkeypatch.setattr(queue, "PREFERENCE_WINDOW", 2)
    comparisons = ready_comparisons(project, 6)
    a, b, c = trainers_of(project, 3)
    for comparison, ranker in zip(comparisons[:4], [a, a, a, c], strict=True):
        AssignmentFactory(comparison=comparison, trainer=ranker, status=Assignment.Status.SUBMITTED)
        Comparison.objects.filter(id=comparison.id).update(rankings_count=1)
    # The head of the partly ranked work is a's own: a gets the oldest fresh comparison, not the
    # fourth one that c ranked, which lies beyond the head.
    assert lease(project, a).comparison == comparisons[4]
    assert lease(project, b).comparison == comparisons[0]
