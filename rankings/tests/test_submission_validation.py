"""Every invalid submission is refused with a clear message, and nothing is written."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labeler.models import Assignment
from labeler.tests.factories import ComparisonFactory, MembershipFactory, ProjectFactory
from rankings.models import Ranking
from rankings.services import ConfirmationNeeded, LeaseLost
from rankings.tests.factories import expire, lease, ready_comparisons, skip, submit, trainers_of
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def leased(project, trainer):
    ready_comparisons(project, 1)
    return lease(project, trainer)


def reversed_tiers(assignment):
    return [[candidate] for candidate in reversed(assignment.display_order)]


def refused(assignment, trainer, message, error=RankLabError, **fields):
    fields.setdefault("tiers", reversed_tiers(assignment))
    with CaptureQueriesContext(connection) as queries, pytest.raises(error, match=message):
        submit(assignment, trainer=trainer, **fields)
    assert [query["sql"] for query in queries if WRITE.match(query["sql"])] == []
    assert Ranking.objects.count() == 0
    assignment.refresh_from_db()
    assert assignment.status in (Assignment.Status.ACTIVE, Assignment.Status.EXPIRED)
    assert assignment.comparison.rankings_count == 0


def test_it_refuses_a_missing_candidate(leased, trainer):
    refused(leased, trainer, "1 missing", tiers=reversed_tiers(leased)[:-1])


def test_it_refuses_an_empty_ranking(leased, trainer):
    refused(leased, trainer, "list of non-empty tiers", tiers=[])


def test_it_refuses_a_duplicate_candidate(leased, trainer):
    tiers = reversed_tiers(leased)
    tiers[-1] = tiers[0]
    refused(leased, trainer, "appears twice", tiers=tiers)


def test_it_refuses_a_candidate_of_another_comparison(leased, trainer, project):
    stranger = ComparisonFactory(project=project, with_candidates=True).candidates.first()
    refused(leased, trainer, "does not belong to this comparison", tiers=[*reversed_tiers(leased)[:-1], [stranger.id]])


def test_it_refuses_something_that_is_not_a_candidate_id(leased, trainer):
    tiers = reversed_tiers(leased)
    tiers[0] = [str(tiers[0][0])]
    refused(leased, trainer, "not a candidate id", tiers=tiers)


def test_it_refuses_an_expired_lease_given_to_someone_else(project, leased, trainer):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    expire(leased)
    [other] = trainers_of(project, 1)
    assert lease(project, other).comparison == leased.comparison
    refused(leased, trainer, "ran out", error=LeaseLost)


def test_an_expired_lease_may_still_submit_while_the_comparison_needs_rankings(leased, trainer):
    expire(leased)
    submit(leased, trainer=trainer, tiers=reversed_tiers(leased))
    assert Ranking.objects.count() == 1


def test_a_lapsed_lease_submitted_from_an_old_tab_closes_the_new_lease_on_the_same_comparison(project, leased, trainer):
    expire(leased)
    again = lease(project, trainer)
    assert again.comparison == leased.comparison
    submit(leased, trainer=trainer, tiers=reversed_tiers(leased))
    again.refresh_from_db()
    assert again.status == Assignment.Status.EXPIRED
    assert lease(project, trainer) is None


def test_it_refuses_another_trainers_assignment(project, leased):
    [intruder] = trainers_of(project, 1)
    refused(leased, intruder, "not assigned to you")


def test_it_refuses_an_assignment_through_another_project(leased, trainer):
    elsewhere = ProjectFactory()
    MembershipFactory(project=elsewhere, user=trainer)
    refused(leased, trainer, "not assigned to you", project=elsewhere)


def test_it_refuses_an_oversized_rationale(leased, trainer):
    refused(leased, trainer, "under 5000", rationale="x" * 5001)


def test_it_refuses_a_missing_rationale_when_required(project, leased, trainer):
    project.rationale_required = True
    project.save(update_fields=["rationale_required"])
    refused(leased, trainer, "asks for a rationale", rationale="   ")


def test_it_refuses_an_unknown_flag(leased, trainer):
    refused(leased, trainer, "Unknown flag", flags={leased.display_order[0]: ["not_a_flag"]})


def test_it_refuses_a_flag_on_a_candidate_of_another_comparison(leased, trainer, project):
    stranger = ComparisonFactory(project=project, with_candidates=True).candidates.first()
    refused(leased, trainer, "does not belong to this comparison", flags={stranger.id: ["untruthful"]})


def test_it_refuses_ties_when_the_project_forbids_them(project, leased, trainer):
    project.ties_allowed = False
    project.save(update_fields=["ties_allowed"])
    tiers = [leased.display_order[:2], *[[c] for c in leased.display_order[2:]]]
    refused(leased, trainer, "does not allow ties", tiers=tiers)


def test_it_refuses_a_time_spent_out_of_range(leased, trainer):
    refused(leased, trainer, "out of range", duration_ms=-5)


def test_it_refuses_a_ranking_of_a_skipped_comparison(leased, trainer):
    skip(leased, trainer=trainer, reason="can't judge")
    with pytest.raises(RankLabError, match="no longer assigned"):
        submit(leased, trainer=trainer, tiers=reversed_tiers(leased))
    assert Ranking.objects.count() == 0


def test_the_displayed_order_needs_one_confirmation(leased, trainer):
    tiers = [[candidate] for candidate in leased.display_order]
    refused(leased, trainer, "exactly in the order they were shown", error=ConfirmationNeeded, tiers=tiers)
    ranking = submit(leased, trainer=trainer, tiers=tiers, confirmed_display_order=True)
    assert ranking.matches_display_order and ranking.confirmed_display_order
    assert ranking.display_order == leased.display_order


def test_a_different_order_is_stored_as_not_matching_the_display(leased, trainer):
    ranking = submit(leased, trainer=trainer, tiers=reversed_tiers(leased))
    assert not ranking.matches_display_order and not ranking.confirmed_display_order


def test_submitting_twice_yields_one_ranking(leased, trainer):
    fields = {"tiers": reversed_tiers(leased), "flags": {leased.display_order[0]: ["untruthful"]}, "duration_ms": 900}
    first = submit(leased, trainer=trainer, **fields)
    again = submit(leased, trainer=trainer, **fields)
    assert first == again
    assert Ranking.objects.count() == 1
    leased.comparison.refresh_from_db()
    assert leased.comparison.rankings_count == 1
    assert first.flags == {str(leased.display_order[0]): ["untruthful"]}
    assert 0 <= first.duration_ms <= 900
