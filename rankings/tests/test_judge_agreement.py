"""The judge's agreement with people on a worked example, computed by hand (docs/statistics.md)."""

import pytest
from scipy.stats import kendalltau

from rankings.agreement import average_ranks
from rankings.judge_agreement import JudgedComparison, disagreements, judge_agreement, pair_agreement

# Three comparisons. Pairs (a < b) as judge / consensus: +1 a preferred, 0 tie, -1 b preferred.
#   1: judge 1 > 3 > 2, people 1 > 2 > 3: (1,2) +1/+1, (1,3) +1/+1, (2,3) -1/+1
#   2: judge 4 > 5,     people 4 = 5:     (4,5) +1/0
#   3: judge 7 > 6,     people 7 > 6:     (6,7) -1/-1
# The second run of comparison 2 disagreed with the first (its pair was tied by the swap).
WORKED = [
    JudgedComparison(1, [[1], [3], [2]], [[1], [2], [3]], {1: 100, 2: 50, 3: 200}, True, 3, 3),
    JudgedComparison(2, [[4], [5]], [[4, 5]], {4: 10, 5: 20}, False, 0, 1),
    JudgedComparison(3, [[7], [6]], [[7], [6]], {6: 30, 7: 30}, True, 1, 1),
    # Judged, but no one has ranked it yet: it counts for the swap only.
    JudgedComparison(4, [[8], [9]], None, {8: 1, 9: 2}, True, 1, 1),
]


@pytest.fixture(scope="module")
def figures():
    return judge_agreement(WORKED, resamples=200)


def test_pairwise_agreement_is_the_share_of_shared_pairs_alike_with_its_wilson_interval(figures):
    # 3 of the 5 pairs agree. Wilson, z = 1.96: centre (0.6 + z²/10) / (1 + z²/5) = 0.55655,
    # half-width z·√(0.24/5 + z²/100) / (1 + z²/5) = 0.32583.
    assert figures["judged"] == 4
    assert figures["compared"] == 3
    assert figures["pairs"]["agree"] == 3 and figures["pairs"]["n"] == 5
    assert figures["pairs"]["share"] == pytest.approx(0.6)
    assert figures["pairs"]["ci"] == pytest.approx([0.2307, 0.8824], abs=1e-4)


def test_tau_b_is_the_mean_over_comparisons_where_it_is_defined(figures):
    # Comparison 1: 2 concordant, 1 discordant, no ties: 1/3. Comparison 2: people tie all: undefined.
    # Comparison 3: 1 concordant: 1. Mean (1/3 + 1) / 2 = 2/3.
    assert figures["tau_b"]["mean"] == pytest.approx(2 / 3)
    assert figures["tau_b"]["comparisons"] == 2
    low, high = figures["tau_b"]["ci"]
    assert 1 / 3 <= low <= 2 / 3 <= high <= 1


def test_tau_b_of_a_comparison_is_scipys():
    judge, human = [[1], [2, 3], [4]], [[2], [1], [4, 3]]
    ranks_judge, ranks_human = average_ranks(judge), average_ranks(human)
    expected = kendalltau([ranks_judge[c] for c in (1, 2, 3, 4)], [ranks_human[c] for c in (1, 2, 3, 4)]).statistic
    assert pair_agreement(judge, human).tau_b == pytest.approx(expected)


def test_kappa_pools_the_pairs_with_three_classes(figures):
    # Judge: +1 ×3, -1 ×2; people: +1 ×3, 0 ×1, -1 ×1. Observed 3/5 = 0.6;
    # by chance 0.6·0.6 + 0·0.2 + 0.4·0.2 = 0.44. κ = (0.6 − 0.44) / (1 − 0.44) = 2/7.
    assert figures["kappa"]["value"] == pytest.approx(2 / 7)
    assert figures["kappa"]["classes"] == 3
    low, high = figures["kappa"]["ci"]
    assert -1 <= low <= high <= 1


def test_swap_consistency_is_counted_by_comparison_and_by_pair(figures):
    assert figures["swap"]["comparisons"]["successes"] == 3 and figures["swap"]["comparisons"]["n"] == 4
    assert figures["swap"]["pairs"]["successes"] == 5 and figures["swap"]["pairs"]["n"] == 6
    assert figures["swap"]["comparisons"]["ci"][0] < 0.75 < figures["swap"]["comparisons"]["ci"][1]


def test_length_bias_of_the_judge_and_of_people_on_the_same_comparisons(figures):
    # Judge: 1>2 longer won, 1>3 lost, 3>2 won, 4>5 lost (6, 7 equal): 2 of 4.
    # People: 1>2 won, 1>3 lost, 2>3 lost (4 = 5 is no pair): 1 of 3. Comparison 4 had no people.
    assert (figures["length"]["judge"]["successes"], figures["length"]["judge"]["n"]) == (2, 4)
    assert (figures["length"]["human"]["successes"], figures["length"]["human"]["n"]) == (1, 3)


def test_the_disagreements_come_lowest_agreement_first():
    rows = disagreements(WORKED, limit=2)
    assert [(row["comparison"], row["agreement"]) for row in rows] == [(2, 0.0), (1, pytest.approx(2 / 3))]


def test_no_judged_comparisons_give_empty_figures():
    figures = judge_agreement([])
    assert figures["pairs"]["share"] is None
    assert figures["tau_b"]["mean"] is None and figures["tau_b"]["ci"] is None
    assert figures["kappa"]["value"] is None
