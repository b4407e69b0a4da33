"""Consensus of several rankings (rankings/consensus.py): ranked pairs, Borda, Bradley-Terry."""

import math
import random

import choix
import pytest

from rankings.consensus import borda, bradley_terry, consensus, majorities, ranked_pairs


def test_a_condorcet_winner_comes_first_and_a_cycle_is_broken_by_the_documented_tie_break():
    # 1 beats everyone 3-0; 2>3, 3>4 and 4>2 each win 2-1, so candidate index orders them and the
    # last (4 over 2) would close the cycle.
    rankings = [[[1], [2], [3], [4]], [[1], [3], [4], [2]], [[1], [4], [2], [3]]]
    assert [m[2:] for m in majorities(rankings)] == [(1, 2), (1, 3), (1, 4), (2, 3), (3, 4), (4, 2)]
    assert ranked_pairs(rankings) == [[1], [2], [3], [4]]


def test_majorities_are_locked_strongest_first_and_the_weakest_link_of_a_cycle_is_skipped():
    # 2>3 by 9-2, 1>2 by 7-4, 3>1 by 6-5: the last would close the cycle.
    rankings = [[[1], [2], [3]]] * 5 + [[[2], [3], [1]]] * 4 + [[[3], [1], [2]]] * 2
    assert [(m[2], m[3], m[0]) for m in majorities(rankings)] == [(2, 3, 7), (1, 2, 3), (3, 1, 1)]
    assert ranked_pairs(rankings) == [[1], [2], [3]]


def test_candidates_that_tie_in_every_way_share_one_tier():
    assert ranked_pairs([[[1], [2]], [[2], [1]]]) == [[1, 2]]
    assert ranked_pairs([[[5, 6], [7]], [[5, 6], [7]]]) == [[5, 6], [7]]
    assert ranked_pairs([[[1, 2, 3]], [[1, 2, 3]]]) == [[1, 2, 3]]


def test_one_ranking_is_its_own_consensus_and_none_give_nothing():
    assert ranked_pairs([[[3], [1, 2]]]) == [[3], [1, 2]]
    assert ranked_pairs([]) == []


def test_a_candidate_only_some_saw_is_placed_by_their_votes():
    rankings = [[[1], [2], [3]], [[1], [2]], [[2], [1]]]
    assert ranked_pairs(rankings) == [[1], [2], [3]]
    assert borda(rankings) == {1: 2 + 1 + 0, 2: 1 + 0 + 1, 3: 0}


def test_borda_gives_half_a_point_per_tie():
    assert borda([[[1, 2], [3]]]) == {1: 1.5, 2: 1.5, 3: 0.0}


def test_bradley_terry_keeps_a_candidate_that_never_loses_finite_and_on_top():
    rankings = [[[1], [2], [3]]] * 20
    scores = bradley_terry(rankings, alpha=0.01)
    assert all(math.isfinite(value) for value in scores.values())
    assert scores[1] > scores[2] > scores[3]
    with pytest.raises(ValueError):
        bradley_terry(rankings, alpha=0)


def test_bradley_terry_takes_rankings_pairs_or_counts_and_matches_choix():
    rng = random.Random(5)
    pairs = []
    for _ in range(200):
        a, b = rng.sample(range(6), 2)
        pairs.append((a, b) if rng.random() < (0.5 + 0.08 * (b - a)) else (b, a))
    counts = {}
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    from_pairs = bradley_terry(pairs, alpha=0.1)
    assert [from_pairs[i] for i in range(6)] == pytest.approx(list(choix.opt_pairwise(6, pairs, alpha=0.1)), abs=1e-5)
    assert bradley_terry(counts, alpha=0.1) == pytest.approx(from_pairs, abs=1e-6)
    from_rankings = bradley_terry([[[w], [loser]] for w, loser in pairs], alpha=0.1)
    assert from_rankings == pytest.approx(from_pairs, abs=1e-6)


def test_consensus_names_its_methods():
    rankings = [[[1], [2], [3]], [[1], [3], [2]], [[2], [1], [3]]]
    assert consensus(rankings) == ranked_pairs(rankings) == [[1], [2], [3]]
    assert consensus(rankings, method="borda") == [[1], [2], [3]]
    assert consensus(rankings, method="bradley_terry")[0] == [1]
    with pytest.raises(ValueError):
        consensus(rankings, method="plurality")
