"""Properties every agreement and consensus figure must have, on random rankings with ties and
incomplete overlap."""

import math

import choix
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau

from rankings.agreement import (
    average_ranks,
    comparison_figures,
    kendall_w,
    krippendorff_alpha,
    pair_counts,
)
from rankings.consensus import borda, borda_tiers, bradley_terry, bradley_terry_scores, ranked_pairs


@st.composite
def weak_orders(draw, candidates: list[int], min_size: int = 1):
    """Tiers over a non-empty subset of `candidates`, ties allowed."""
    seen = draw(st.lists(st.sampled_from(candidates), min_size=min_size, unique=True))
    seen = draw(st.permutations(seen))
    tiers, index = [], 0
    while index < len(seen):
        size = draw(st.integers(1, len(seen) - index))
        tiers.append(list(seen[index : index + size]))
        index += size
    return tiers


@st.composite
def ranking_sets(draw, min_rankings: int = 2, complete: bool = False):
    k = draw(st.integers(2, 6))
    candidates = list(range(10, 10 + k))
    if complete:
        rankings = [draw(weak_orders(candidates, min_size=k)) for _ in range(draw(st.integers(min_rankings, 5)))]
    else:
        rankings = [draw(weak_orders(candidates)) for _ in range(draw(st.integers(min_rankings, 5)))]
    return rankings


def pooled(rankings) -> dict:
    return comparison_figures(rankings).pooled.rates()


def mean(rankings) -> dict:
    figures = comparison_figures(rankings)
    return {"exact": figures.exact, "strict": figures.strict, "half": figures.half}


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, abs_tol=1e-9)


@given(ranking_sets(min_rankings=1, complete=True), st.integers(2, 5))
def test_identical_rankings_agree_perfectly(rankings, copies):
    tiers = rankings[0]
    same = [tiers] * copies
    figures = pooled(same)
    assert figures["exact"] == 1 and figures["half"] == 1
    assert figures["strict"] in (1, None)  # None only when everything is one tie
    assert comparison_figures(same).kendall_tau_b in (1, None)
    w = kendall_w(same)
    assert w is None or math.isclose(w.w, 1)
    alpha = krippendorff_alpha([same])
    assert alpha is None or math.isclose(alpha, 1)
    assert ranked_pairs(same) == [sorted(tier) for tier in tiers]
    assert borda_tiers(same) == [sorted(tier) for tier in tiers]


@given(ranking_sets(), st.randoms(use_true_random=False))
def test_the_order_of_annotators_does_not_matter(rankings, rng):
    shuffled = list(rankings)
    rng.shuffle(shuffled)
    for average in (pooled, mean):
        left, right = average(rankings), average(shuffled)
        assert all(close(left[kind], right[kind]) for kind in left)
    assert close(comparison_figures(rankings).kendall_tau_b, comparison_figures(shuffled).kendall_tau_b)
    w, v = kendall_w(rankings), kendall_w(shuffled)
    assert (w is None and v is None) or math.isclose(w.w, v.w)
    assert close(krippendorff_alpha([rankings]), krippendorff_alpha([shuffled]))
    assert ranked_pairs(rankings) == ranked_pairs(shuffled)
    assert borda(rankings) == borda(shuffled)
    left, right = bradley_terry_scores(rankings), bradley_terry_scores(shuffled)
    assert left.keys() == right.keys() and all(math.isclose(left[c], right[c], abs_tol=1e-6) for c in left)


@given(ranking_sets())
def test_agreements_are_shares_and_tau_lies_in_minus_one_to_one(rankings):
    for figures in (pooled(rankings), mean(rankings)):
        for value in figures.values():
            assert value is None or 0 <= value <= 1
        if figures["exact"] is not None:
            assert figures["exact"] <= figures["half"]
    tau = comparison_figures(rankings).kendall_tau_b
    assert tau is None or -1 - 1e-12 <= tau <= 1 + 1e-12


@given(ranking_sets(min_rankings=2))
def test_tau_b_is_scipys_on_the_shared_candidates(rankings):
    left, right = rankings[0], rankings[1]
    ranks_left, ranks_right = average_ranks(left), average_ranks(right)
    shared = sorted(ranks_left.keys() & ranks_right.keys())
    ours = pair_counts(left, right).tau_b
    if len(shared) < 2:
        assert ours is None
        return
    theirs = kendalltau([ranks_left[c] for c in shared], [ranks_right[c] for c in shared], variant="b").statistic
    if math.isnan(theirs):
        assert ours is None
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


@given(st.integers(2, 6))
def test_ties_count_half_against_a_preference_and_nothing_against_the_reverse(k):
    candidates = list(range(k))
    order = [[c] for c in candidates]
    everything_tied = [candidates]
    reversed_order = order[::-1]
    assert pooled([order, everything_tied]) == {"exact": 0.0, "strict": None, "half": 0.5}
    assert pooled([order, reversed_order]) == {"exact": 0.0, "strict": 0.0, "half": 0.0}
    assert comparison_figures([order, reversed_order]).kendall_tau_b == pytest.approx(-1)
    assert comparison_figures([order, everything_tied]).kendall_tau_b is None
    assert ranked_pairs([order, reversed_order]) == [candidates]


def test_annotators_with_no_candidate_in_common_have_no_agreement():
    assert pooled([[[1], [2]], [[3], [4]]]) == {"exact": None, "strict": None, "half": None}
    assert mean([[[1], [2]], [[3], [4]]]) == {"exact": None, "strict": None, "half": None}
    assert kendall_w([[[1], [2]], [[3], [4]]]) is None
    assert krippendorff_alpha([[[[1], [2]], [[3], [4]]]]) is None


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda p: p[0] != p[1]), min_size=1))
def test_bradley_terry_counts_match_choix(pairs):
    ours = bradley_terry(pairs, items=range(5), alpha=0.1)
    theirs = choix.opt_pairwise(5, pairs, alpha=0.1)
    assert [ours[i] for i in range(5)] == pytest.approx(list(theirs), abs=1e-4)


def test_a_candidate_that_never_loses_stays_finite():
    rankings = [[[1], [2], [3]]] * 200
    scores = bradley_terry_scores(rankings)
    assert all(math.isfinite(value) for value in scores.values())
    assert scores[1] > scores[2] > scores[3]
    assert ranked_pairs(rankings) == [[1], [2], [3]]


def test_bradley_terry_needs_a_penalty():
    with pytest.raises(ValueError, match="alpha"):
        bradley_terry([(1, 2)], alpha=0)


@given(ranking_sets())
def test_one_comparison_or_a_list_of_comparisons_give_the_same_figures(rankings):
    assert close(krippendorff_alpha(rankings), krippendorff_alpha([rankings]))
    from_rankings, from_pairs = bradley_terry(rankings), bradley_terry_scores(rankings)
    assert from_rankings.keys() == from_pairs.keys()
    assert all(math.isfinite(v) and math.isclose(v, from_pairs[c], abs_tol=1e-6) for c, v in from_rankings.items())


@given(ranking_sets(complete=True))
def test_the_consensus_is_a_weak_order_of_every_candidate_and_respects_unanimity(rankings):
    tiers = ranked_pairs(rankings)
    flat = [c for tier in tiers for c in tier]
    assert sorted(flat) == sorted({c for r in rankings for tier in r for c in tier}) and len(flat) == len(set(flat))
    position = {c: i for i, tier in enumerate(tiers) for c in tier}
    first = {c: i for i, tier in enumerate(rankings[0]) for c in tier}
    for a in first:
        for b in first:
            if all(
                next(i for i, t in enumerate(r) if a in t) < next(i for i, t in enumerate(r) if b in t)
                for r in rankings
            ):
                assert position[a] < position[b]
