"""Position and length bias (rankings/bias.py): shares with Wilson intervals."""

import pytest

from rankings.bias import length_bias, position_bias, wilson_interval


def test_the_wilson_interval_matches_known_values():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_position_bias_counts_single_winners_shown_first_against_one_in_k():
    records = [
        ([1, 2, 3, 4], [[1], [2], [3], [4]]),  # winner shown first
        ([2, 1, 3, 4], [[1], [2, 3, 4]]),  # winner shown second
        ([1, 2, 3, 4], [[1, 2], [3, 4]]),  # tie at the top: no single winner
        ([5, 6], [[5], [6]]),  # K = 2, winner shown first
    ]
    bias = position_bias(records).first
    assert (bias.successes, bias.n) == (2, 3)
    assert bias.expected == pytest.approx((1 / 4 + 1 / 4 + 1 / 2) / 3)
    low, high = bias.interval
    assert low < 2 / 3 < high
    assert position_bias([(tiers, order) for order, tiers in records]).first == bias


def test_position_bias_of_a_first_picker_is_far_above_chance():
    records = [([i, i + 1, i + 2, i + 3], [[i], [i + 1, i + 2, i + 3]]) for i in range(0, 200, 4)]
    first = position_bias(records).first
    assert first.share == 1 and first.interval[0] > 0.9 and first.p_value < 1e-20
    assert position_bias([]).first.n == 0


def test_length_bias_counts_non_tied_pairs_of_different_length():
    lengths = {1: 300, 2: 100, 3: 100, 4: 50}
    share = length_bias([([[1], [2, 3], [4]], lengths)])
    # Pairs across tiers: 1>2, 1>3 (longer won), 1>4 (longer), 2>4, 3>4 (longer); 2=3 tied and equal.
    assert (share.successes, share.n, share.share) == (5, 5, 1.0)
    share = length_bias([([[4], [2], [1]], lengths), ([[2, 3]], lengths)])
    assert (share.successes, share.n) == (0, 3)
    assert share.as_dict()["ci"][1] < 0.6
