"""Every figure of the shared test vector (rankings/tests/data/agreement-vector.json), to four
decimals, in both cases; alpha also against the `krippendorff` package, Bradley-Terry against `choix`."""

import json
import math
from itertools import combinations
from pathlib import Path

import choix
import krippendorff
import numpy as np
import pytest

from rankings.agreement import (
    annotator_pairs,
    average_ranks,
    kendall_w,
    krippendorff_alpha,
    mean_kendall_tau_b,
    pair_relations,
    pairwise_agreement,
)
from rankings.consensus import borda, borda_points, bradley_terry_scores, consensus, ranked_pairs, strict_pairs

VECTOR = json.loads((Path(__file__).parent / "data" / "agreement-vector.json").read_text())
CASES = ["case1_complete", "case2_incomplete_overlap"]
LETTERS = "ABCD"


def case(name: str) -> tuple[dict, list[list[list[int]]]]:
    """The case and its rankings, candidate A..D as ids 0..3 (the vector's candidate index)."""
    data = VECTOR[name]
    rankings = [[[LETTERS.index(c) for c in tier] for tier in data["tiers"][a]] for a in data["annotators"]]
    return data, rankings


def flat(tiers: list[list[int]]) -> list[str]:
    return [LETTERS[candidate] for tier in tiers for candidate in sorted(tier)]


def approx(value):
    return pytest.approx(value, abs=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_average_ranks_and_pair_relations_match(name):
    data, rankings = case(name)
    pairs = [(LETTERS.index(a), LETTERS.index(b)) for a, b in data["pair_order"]]
    for annotator, tiers in zip(data["annotators"], rankings, strict=True):
        ranks = average_ranks(tiers)
        expected = data["avg_ranks"][annotator]
        assert [ranks.get(i, math.nan) for i in range(4)] == pytest.approx(expected, nan_ok=True)
        relations = pair_relations(tiers)
        assert [relations.get(pair) for pair in pairs] == data["pair_relations"][annotator]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("kind", ["exact", "strict", "half"])
def test_pairwise_agreement_matches_per_pair_mean_and_pooled(name, kind):
    data, rankings = case(name)
    expected = data["pairwise_agreement"][kind]
    assert pairwise_agreement(rankings, average="pooled")[kind] == approx(expected["pooled_over_all_judged_pairs"])
    assert pairwise_agreement(rankings, average="mean")[kind] == approx(expected["mean_over_annotator_pairs"])
    counts = annotator_pairs(rankings)
    for i, j in combinations(range(len(rankings)), 2):
        figure = expected["per_annotator_pair"][f"{data['annotators'][i]}|{data['annotators'][j]}"]
        assert counts[(i, j)].rates()[kind] == approx(figure["agreement"])
        judged = counts[(i, j)].strict_judged if kind == "strict" else counts[(i, j)].judged
        assert judged == figure["n_pairs"]


@pytest.mark.parametrize("name", CASES)
def test_kendall_tau_b_matches_per_pair_and_mean(name):
    data, rankings = case(name)
    expected = data["kendall_tau_b"]
    assert mean_kendall_tau_b(rankings) == approx(expected["mean_tau_b"])
    for (i, j), counts in annotator_pairs(rankings).items():
        figure = expected["per_annotator_pair"][f"{data['annotators'][i]}|{data['annotators'][j]}"]
        assert counts.tau_b == approx(figure["tau_b"])


@pytest.mark.parametrize("name", CASES)
def test_kendall_w_is_tie_corrected_over_the_candidates_everyone_saw(name):
    data, rankings = case(name)
    expected = data["kendall_w"]
    w = kendall_w(rankings)
    assert w.w == approx(expected["W_tie_corrected"])
    assert flat([w.candidates]) == expected["candidates_used"]
    assert (w.annotators, len(w.candidates)) == (expected["m"], expected["n"])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("level", ["ordinal", "interval", "nominal"])
def test_krippendorff_alpha_uses_both_orientations_of_each_pair(name, level):
    data, rankings = case(name)
    expected = data["krippendorff_alpha"]["units=candidate_pairs_both_orientations,values=relation(-1,0,1)"][level]
    assert krippendorff_alpha([rankings], level=level) == approx(expected)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("level", ["ordinal", "interval", "nominal"])
def test_krippendorff_alpha_agrees_with_the_package_on_coders_by_units(name, level):
    """The package fed the plain reliability matrix (coders x units, nan = missing)."""
    _, rankings = case(name)
    pairs = [(a, b) for a, b in combinations(range(4), 2)]
    matrix = []
    for tiers in rankings:
        relations = pair_relations(tiers)
        row = [relations.get(pair, math.nan) for pair in pairs]
        matrix.append(row + [-value for value in row])
    reference = krippendorff.alpha(reliability_data=np.array(matrix, dtype=float), level_of_measurement=level)
    assert krippendorff_alpha([rankings], level=level) == approx(reference)


@pytest.mark.parametrize("name", CASES)
def test_borda_points_and_order(name):
    data, rankings = case(name)
    expected = data["consensus"]
    points = borda_points(rankings)
    assert {LETTERS[c]: value for c, value in points.items()} == approx(expected["borda_points"])
    assert flat(borda(rankings)) == expected["borda_order"]


@pytest.mark.parametrize("name", CASES)
def test_ranked_pairs_order(name):
    """Candidates no locked majority separates share a tier; within it, the candidate index decides."""
    data, rankings = case(name)
    assert flat(ranked_pairs(rankings)) == data["consensus"]["ranked_pairs_order"]
    assert consensus(rankings) == ranked_pairs(rankings)


@pytest.mark.parametrize("name", CASES)
def test_bradley_terry_matches_the_vector_and_choix(name):
    data, rankings = case(name)
    expected = data["consensus"]["bradley_terry"]
    pairs = strict_pairs(rankings)
    vector_pairs = expected["comparisons_ties_dropped(winner_idx,loser_idx)"]
    assert sorted(pairs) == sorted(tuple(pair) for pair in vector_pairs)
    alpha = expected["choix.opt_pairwise_alpha"]
    scores = bradley_terry_scores(rankings, alpha=alpha)
    assert {LETTERS[c]: value for c, value in scores.items()} == approx(expected["params"])
    reference = choix.opt_pairwise(4, pairs, alpha=alpha)
    assert [scores[i] for i in range(4)] == approx(list(reference))
    assert flat(consensus(rankings, method="bradley_terry")) == expected["order"]
