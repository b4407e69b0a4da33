"""The queue score: how much a comparison's next ranking is expected to change its consensus."""

import pytest

from rankings.informativeness import UNKNOWN, order_uncertainty

CANDIDATES = [1, 2, 3, 4]
UP = [[1], [2], [3], [4]]
DOWN = [[4], [3], [2], [1]]
SWAPPED = [[2], [1], [3], [4]]


def score(rankings, **options):
    return order_uncertainty(rankings, candidates=CANDIDATES, **options)


def test_nothing_known_scores_the_most():
    assert score([]) == UNKNOWN == 1.0


def test_rankings_that_cancel_out_know_nothing_either():
    assert score([UP, DOWN]) == pytest.approx(UNKNOWN)
    assert score([[[1, 2, 3, 4]]]) == UNKNOWN  # a tie of all says nothing of the order


def test_agreement_lowers_the_score_and_disagreement_raises_it():
    one, two, three = score([UP]), score([UP, UP]), score([UP, UP, UP])
    assert UNKNOWN > one > two > three > 0
    assert score([UP, SWAPPED]) > two
    assert score([UP, UP, DOWN]) > score([UP, UP, SWAPPED]) > three


def test_pairs_the_remaining_rankings_cannot_turn_count_for_nothing():
    assert score([UP, UP], remaining=1) == 0
    assert score([UP, UP], remaining=2) == pytest.approx(score([UP, UP]))
    # Only 1 and 2 (2 to 1) are still open: the other five pairs (3 to 0) are decided.
    assert 0 < score([UP, UP, SWAPPED], remaining=1) < score([UP, UP, SWAPPED])


def test_weighted_outcomes_from_elsewhere_count_as_evidence():
    judged = {(1, 2): 0.5, (2, 3): 0.5, (3, 4): 0.5}
    assert score([UP], extra=judged) < score([UP])
    assert score([], extra=judged) < UNKNOWN


def test_a_single_candidate_has_no_order_to_learn():
    assert order_uncertainty([[[7]]], candidates=[7]) == 0
