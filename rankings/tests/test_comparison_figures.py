"""`strict_pairs` and `comparison_figures`: the one walk over a ranking's preferences and the one
agreement of a comparison, which the dashboard, the review page and the native export share."""

import math
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from rankings.agreement import PairCounts, comparison_figures, pair_counts, pair_relations, strict_pairs
from rankings.bias import longer_wins
from rankings.consensus import pairwise_wins
from rankings.tests.test_agreement_properties import ranking_sets, weak_orders

# Three trainers; the third saw only candidates 1 and 3. Per annotator pair, by hand:
# (0, 1) judged 3: (2, 3) agree, (1, 3) a tie against a preference, (1, 2) reversed.
# (0, 2) judged 1, agreeing. (1, 2) judged 1: a tie against a preference.
RANKINGS = [[[1], [2], [3]], [[2], [1, 3]], [[1], [3]]]


def test_strict_pairs_come_best_first_and_by_id_within_a_tier():
    assert list(strict_pairs([[2], [3, 1], [4]])) == [(2, 1, 1), (2, 3, 1), (2, 4, 2), (1, 4, 1), (3, 4, 1)]


def test_strict_pairs_never_pair_tied_candidates():
    assert list(strict_pairs([[1, 2], [3]])) == [(1, 3, 1), (2, 3, 1)]


def test_a_single_tier_or_no_tier_has_no_strict_pairs():
    assert list(strict_pairs([[1, 2, 3]])) == []
    assert list(strict_pairs([[1]])) == []
    assert list(strict_pairs([])) == []


@given(st.integers(2, 6).flatmap(lambda k: weak_orders(list(range(k)))))
def test_strict_pairs_are_exactly_the_strict_relations_with_their_tier_distance(tiers):
    tier_of = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
    pairs = list(strict_pairs(tiers))
    strict = {pair: value for pair, value in pair_relations(tiers).items() if value}
    assert len(pairs) == len(strict)
    for winner, loser, distance in pairs:
        assert strict[(min(winner, loser), max(winner, loser))] == (1 if winner < loser else -1)
        assert distance == tier_of[loser] - tier_of[winner] > 0


def test_the_users_of_strict_pairs_count_the_same_pairs():
    tiers = [[3, 1], [2], [4]]
    assert longer_wins(tiers, {1: 10, 2: 20, 3: 30, 4: 30}) == (1, 4)
    assert pairwise_wins([tiers, [[2], [1]]]) == {(1, 2): 1, (1, 4): 1, (3, 2): 1, (3, 4): 1, (2, 4): 1, (2, 1): 1}


def test_the_export_and_review_figures_are_the_means_over_annotator_pairs():
    # The native row's `agreement_figures` and the review page's agreement: the mean of the
    # annotator pairs' rates (pairs where one is undefined left out), and of their τ-b.
    figures = comparison_figures(RANKINGS)
    assert figures.exact == (1 / 3 + 1 / 1 + 0 / 1) / 3
    assert figures.strict == (1 / 2 + 1 / 1) / 2
    assert figures.half == (1.5 / 3 + 1.0 / 1 + 0.5 / 1) / 3
    assert figures.kendall_tau_b == ((1 - 1) / math.sqrt(3 * 2) + 1 / math.sqrt(1 * 1)) / 2
    assert list(figures.as_dict()) == ["exact", "strict", "half", "kendall_tau_b"]
    assert figures.as_dict()["exact"] == figures.exact


def test_the_dashboard_figures_pool_the_annotator_pairs_counts():
    # What `rankings.stats._agreement` summed: the counts of every annotator pair, and each τ-b.
    figures = comparison_figures(RANKINGS)
    assert figures.pooled == PairCounts(
        judged=5, exact=2, half=3.0, strict_judged=3, strict_agreed=2, concordant=2, discordant=1, left_ties=1,
        right_ties=1,
    )  # fmt: skip
    assert figures.pooled.rates() == {"exact": 2 / 5, "strict": 2 / 3, "half": 3.0 / 5}
    assert figures.taus == ((1 - 1) / math.sqrt(3 * 2), 1 / math.sqrt(1 * 1))


@given(ranking_sets())
def test_comparison_figures_are_the_annotator_pairs_counts_averaged(rankings):
    figures = comparison_figures(rankings)
    expected = {(i, j): pair_counts(rankings[i], rankings[j]) for i, j in combinations(range(len(rankings)), 2)}
    assert figures.pairs == expected
    for kind in ("exact", "strict", "half"):
        rates = [rate for counts in expected.values() if (rate := counts.rates()[kind]) is not None]
        assert getattr(figures, kind) == (sum(rates) / len(rates) if rates else None)
    taus = [tau for counts in expected.values() if (tau := counts.tau_b) is not None]
    assert figures.taus == tuple(taus)
    assert figures.kendall_tau_b == (sum(taus) / len(taus) if taus else None)
    assert figures == comparison_figures(rankings, relations=[pair_relations(tiers) for tiers in rankings])


def test_fewer_than_two_rankings_have_no_figures():
    assert comparison_figures([]) is None
    assert comparison_figures([[[1], [2]]]) is None
