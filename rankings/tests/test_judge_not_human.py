"""The judge's ranking is no trainer's: the queue, the overlap and every human figure ignore it."""

import pytest

from labeler.models import Comparison
from labeler.tests.factories import ComparisonFactory
from rankings.refresh import projects_with_stale_stats
from rankings.stats import project_stats_compute, project_stats_refresh
from rankings.tests.factories import lease, submit, trainers_of
from rankings.tests.judge_data import judge_of, judged

pytestmark = pytest.mark.django_db


def _ids(comparison) -> list[int]:
    return list(comparison.candidates.order_by("id").values_list("id", flat=True))


def test_a_judged_comparison_still_wants_every_human_ranking_of_its_overlap(project):
    project.overlap, project.k = 2, 2
    project.save(update_fields=["overlap", "k"])
    judge_of(project)
    comparison = ComparisonFactory(project=project, with_candidates=True)
    a, b = _ids(comparison)
    judged(comparison, [[a], [b]])
    first, second = trainers_of(project, 2)

    submit(lease(project, first), tiers=[[a], [b]], confirmed_display_order=True)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.READY
    assert comparison.rankings_count == 1

    assignment = lease(project, second)
    assert assignment.comparison_id == comparison.id
    submit(assignment, tiers=[[b], [a]], confirmed_display_order=True)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.COMPLETE
    assert comparison.rankings_count == 2


def test_the_human_figures_are_the_same_with_and_without_the_judge(project):
    project.overlap, project.k = 2, 2
    project.save(update_fields=["overlap", "k"])
    trainers = trainers_of(project, 2)
    comparisons = [ComparisonFactory(project=project, with_candidates=True) for _ in range(3)]
    for trainer in trainers:
        for _ in comparisons:
            assignment = lease(project, trainer)
            a, b = _ids(assignment.comparison)
            # One disagreement, so that the human agreement is not a trivial 100 %.
            disagrees = trainer == trainers[1] and assignment.comparison == comparisons[0]
            submit(assignment, tiers=[[b], [a]] if disagrees else [[a], [b]], confirmed_display_order=True)
    before = project_stats_compute(project=project)
    judge_of(project)
    for comparison in comparisons:
        a, b = _ids(comparison)
        judged(comparison, [[b], [a]])

    after = project_stats_compute(project=project)

    judge_figures = after.pop("judge")
    before.pop("judge", None)
    assert after == before
    assert after["rankings"] == 6
    assert judge_figures["judged"] == 3
    # The judge prefers b everywhere; people prefer a, or tie where they split.
    assert (judge_figures["pairs"]["agree"], judge_figures["pairs"]["n"]) == (0, 3)


def test_a_judgement_of_candidates_since_replaced_is_no_figure(project):
    project.k = 2
    project.save(update_fields=["k"])
    judge_of(project)
    comparison = ComparisonFactory(project=project, with_candidates=True)
    a, b = _ids(comparison)
    judged(comparison, [[a], [b + 1000]])

    figures = project_stats_compute(project=project)["judge"]

    assert figures["judged"] == 0


def test_a_new_judgement_makes_the_statistics_stale(project):
    project.overlap, project.k = 1, 2
    project.save(update_fields=["overlap", "k"])
    judge_of(project)
    comparison = ComparisonFactory(project=project, with_candidates=True)
    (trainer,) = trainers_of(project, 1)
    a, b = _ids(comparison)
    submit(lease(project, trainer), tiers=[[a], [b]], confirmed_display_order=True)
    project_stats_refresh(project_id=project.id)
    assert project.id not in projects_with_stale_stats()

    judged(comparison, [[b], [a]])

    assert project.id in projects_with_stale_stats()
