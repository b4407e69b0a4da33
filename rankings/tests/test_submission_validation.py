"""Every invalid submission is refused with a clear message, and nothing is written."""

import pytest

from labeler.errors import RankLabError
from labeler.models import Assignment
from labeler.tests.factories import ComparisonFactory
from rankings.models import Ranking
from rankings.services import ConfirmationNeeded, Judgement, ranking_submit
from rankings.tests.factories import expire, lease, ready_comparisons, trainers_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def leased(project, trainer):
    ready_comparisons(project, 1)
    return lease(project, trainer)


def reversed_tiers(assignment):
    return [[candidate] for candidate in reversed(assignment.display_order)]


def refused(assignment, trainer, judgement, message):
    with pytest.raises(RankLabError, match=message):
        ranking_submit(assignment_id=assignment.id, trainer=trainer, judgement=judgement)
    assert Ranking.objects.count() == 0
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACTIVE
    assert assignment.comparison.rankings_count == 0


def test_it_refuses_a_missing_candidate(leased, trainer):
    refused(leased, trainer, Judgement(tiers=reversed_tiers(leased)[:-1], flags={}), "1 missing")


def test_it_refuses_a_duplicate_candidate(leased, trainer):
    tiers = reversed_tiers(leased)
    tiers[-1] = tiers[0]
    refused(leased, trainer, Judgement(tiers=tiers, flags={}), "appears twice")


def test_it_refuses_a_candidate_of_another_comparison(leased, trainer, project):
    stranger = ComparisonFactory(project=project, with_candidates=True).candidates.first()
    tiers = [*reversed_tiers(leased)[:-1], [stranger.id]]
    refused(leased, trainer, Judgement(tiers=tiers, flags={}), "does not belong to this comparison")


def test_it_refuses_an_expired_lease_given_to_someone_else(project, leased, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    expire(leased)
    [other] = trainers_of(project, 1)
    assert lease(project, other).comparison == leased.comparison
    refused(leased, trainer, Judgement(tiers=reversed_tiers(leased), flags={}), "ran out")


def test_an_expired_lease_may_still_submit_while_the_comparison_needs_rankings(leased, trainer):
    expire(leased)
    ranking_submit(
        assignment_id=leased.id, trainer=trainer, judgement=Judgement(tiers=reversed_tiers(leased), flags={})
    )
    assert Ranking.objects.count() == 1


def test_it_refuses_another_trainers_assignment(project, leased):
    [intruder] = trainers_of(project, 1)
    refused(leased, intruder, Judgement(tiers=reversed_tiers(leased), flags={}), "not assigned to you")


def test_it_refuses_an_oversized_rationale(leased, trainer):
    refused(leased, trainer, Judgement(tiers=reversed_tiers(leased), flags={}, rationale="x" * 5001), "under 5000")


def test_it_refuses_a_missing_rationale_when_required(project, leased, trainer):
    project.rationale_required = True
    project.save(update_fields=["rationale_required"])
    refused(leased, trainer, Judgement(tiers=reversed_tiers(leased), flags={}), "asks for a rationale")


def test_it_refuses_an_unknown_flag(leased, trainer):
    flags = {leased.display_order[0]: ["not_a_flag"]}
    refused(leased, trainer, Judgement(tiers=reversed_tiers(leased), flags=flags), "Unknown flag")


def test_it_refuses_ties_when_the_project_forbids_them(project, leased, trainer):
    project.ties_allowed = False
    project.save(update_fields=["ties_allowed"])
    tiers = [leased.display_order[:2], *[[c] for c in leased.display_order[2:]]]
    refused(leased, trainer, Judgement(tiers=tiers, flags={}), "does not allow ties")


def test_the_displayed_order_needs_one_confirmation(leased, trainer):
    tiers = [[candidate] for candidate in leased.display_order]
    refused(leased, trainer, Judgement(tiers=tiers, flags={}), "exactly in the order they were shown")
    with pytest.raises(ConfirmationNeeded):
        ranking_submit(assignment_id=leased.id, trainer=trainer, judgement=Judgement(tiers=tiers, flags={}))
    ranking = ranking_submit(
        assignment_id=leased.id,
        trainer=trainer,
        judgement=Judgement(tiers=tiers, flags={}, confirmed_display_order=True),
    )
    assert ranking.matches_display_order and ranking.confirmed_display_order


def test_submitting_twice_yields_one_ranking(leased, trainer):
    judgement = Judgement(tiers=reversed_tiers(leased), flags={leased.display_order[0]: ["untruthful"]})
    first = ranking_submit(assignment_id=leased.id, trainer=trainer, judgement=judgement)
    again = ranking_submit(assignment_id=leased.id, trainer=trainer, judgement=judgement)
    assert first == again
    assert Ranking.objects.count() == 1
    leased.comparison.refresh_from_db()
    assert leased.comparison.rankings_count == 1
    assert first.flags == {str(leased.display_order[0]): ["untruthful"]}
