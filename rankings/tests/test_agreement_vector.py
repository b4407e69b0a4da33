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
from scipy import stats as scipy_stats

from rankings.agreement import (
    VALUE_DOMAIN,
    average_ranks,
    comparison_figures,
    kendall_w,
    krippendorff_alpha,
    pair_relations,
    strict_pairs,
)
from rankings.consensus import (
    borda,
    borda_points,
    borda_tiers,
    bradley_terry,
    bradley_terry_scores,
    consensus,
    majorities,
    pairwise_wins,
    ranked_pairs,
)

VECTOR = json.loads((Path(__file__).parent / "data" / "agreement-vector.json").read_text())
CASES = ["case1_complete", "case2_incomplete_overlap"]
LETTERS = "ABCD"


def case(name: str) -> tuple[dict, list[list[list[int]]]]:
    """The case and its rankings, candidate A..D as ids 0..3 (the vector's candidate index)."""
    data = VECTOR[name]
    rankings = [[[LETTERS.index(c) for c in tier] for tier in data["tiers"][a]] for a in data["annotators"]]
    return data, rankings


def preferences(rankings: list[list[list[int]]]) -> list[tuple[int, int]]:
    """(winner, loser) of every ranking's strict pairs, as choix takes them."""
    return [(winner, loser) for tiers in rankings for winner, loser, _ in strict_pairs(tiers)]


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
    figures = comparison_figures(rankings)
    assert figures.pooled.rates()[kind] == approx(expected["pooled_over_all_judged_pairs"])
    assert getattr(figures, kind) == approx(expected["mean_over_annotator_pairs"])
    counts = figures.pairs
    for i, j in combinations(range(len(rankings)), 2):
        figure = expected["per_annotator_pair"][f"{data['annotators'][i]}|{data['annotators'][j]}"]
        assert counts[(i, j)].rates()[kind] == approx(figure["agreement"])
        judged = counts[(i, j)].strict_judged if kind == "strict" else counts[(i, j)].judged
        assert judged == figure["n_pairs"]


@pytest.mark.parametrize("name", CASES)
def test_kendall_tau_b_matches_per_pair_and_mean(name):
    data, rankings = case(name)
    expected = data["kendall_tau_b"]
    figures = comparison_figures(rankings)
    assert figures.kendall_tau_b == approx(expected["mean_tau_b"])
    for (i, j), counts in figures.pairs.items():
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
    assert flat(borda_tiers(rankings)) == expected["borda_order"]


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
    pairs = preferences(rankings)
    vector_pairs = expected["comparisons_ties_dropped(winner_idx,loser_idx)"]
    assert sorted(pairs) == sorted(tuple(pair) for pair in vector_pairs)
    alpha = expected["choix.opt_pairwise_alpha"]
    scores = bradley_terry_scores(rankings, alpha=alpha)
    assert {LETTERS[c]: value for c, value in scores.items()} == approx(expected["params"])
    reference = choix.opt_pairwise(4, pairs, alpha=alpha)
    assert [scores[i] for i in range(4)] == approx(list(reference))
    assert flat(consensus(rankings, method="bradley_terry")) == expected["order"]


@pytest.mark.parametrize("name", CASES)
def test_the_public_one_call_api_gives_the_vector_figures(name):
    data, rankings = case(name)
    consensus_figures = data["consensus"]
    figures = comparison_figures(rankings)
    assert figures.exact == approx(data["pairwise_agreement"]["exact"]["mean_over_annotator_pairs"])
    assert figures.kendall_tau_b == approx(data["kendall_tau_b"]["mean_tau_b"])
    alpha = data["krippendorff_alpha"]["units=candidate_pairs_both_orientations,values=relation(-1,0,1)"]["ordinal"]
    assert krippendorff_alpha(rankings) == approx(alpha)
    assert {LETTERS[c]: v for c, v in borda(rankings).items()} == approx(consensus_figures["borda_points"])
    bt = consensus_figures["bradley_terry"]
    scores = bradley_terry(rankings, alpha=bt["choix.opt_pairwise_alpha"])
    assert {LETTERS[c]: v for c, v in scores.items()} == approx(bt["params"])
    assert 1 / (1 + math.exp(scores[1] - scores[0])) == approx(bt["P(A beats B)"])


@pytest.mark.parametrize("name", CASES)
def test_kendall_w_ingredients_and_friedman_test(name):
    data, rankings = case(name)
    expected = data["kendall_w"]
    w = kendall_w(rankings)
    assert [w.rank_sums[c] for c in w.candidates] == approx(expected["rank_sums"])
    assert (w.s, w.tie_term) == (approx(expected["S"]), expected["tie_term_sum_t3_minus_t"])
    assert w.w_uncorrected == approx(expected["W_no_tie_correction"])
    assert (w.chi2, w.p_value) == (approx(expected["friedman_chi2"]), approx(expected["p_value"]))
    m = w.annotators
    assert (m * w.w_uncorrected - 1) / (m - 1) == approx(expected["mean_spearman_from_W_no_ties_formula"])


@pytest.mark.parametrize("name", CASES)
def test_spearman_per_annotator_pair_on_shared_candidates(name):
    data, rankings = case(name)
    expected = data["kendall_tau_b"]
    rhos = []
    for i, j in combinations(range(len(rankings)), 2):
        left, right = average_ranks(rankings[i]), average_ranks(rankings[j])
        shared = sorted(left.keys() & right.keys())
        rho = scipy_stats.spearmanr([left[c] for c in shared], [right[c] for c in shared]).statistic
        rho = 0.0 if math.isnan(rho) else rho
        figure = expected["per_annotator_pair"][f"{data['annotators'][i]}|{data['annotators'][j]}"]
        assert (rho, len(shared)) == (approx(figure["spearman_rho"]), figure["n_common"])
        rhos.append(rho)
    assert sum(rhos) / len(rhos) == approx(expected["mean_spearman_rho"])


@pytest.mark.parametrize("name", CASES)
def test_wins_matrix_and_ranked_pairs_majorities(name):
    data, rankings = case(name)
    expected = data["consensus"]
    wins = pairwise_wins(rankings)
    matrix = [[wins.get((i, j), 0) for j in range(4)] for i in range(4)]
    assert matrix == expected["pairwise_wins_matrix_M[i][j]=#prefer_i_over_j"]
    found = [[LETTERS[w], LETTERS[loser], margin] for margin, _, w, loser in majorities(rankings)]
    assert found == expected["ranked_pairs_majorities_sorted(winner,loser,margin)"]


@pytest.mark.parametrize("name", CASES)
def test_bradley_terry_ilsr_reference_and_pair_export(name):
    data, rankings = case(name)
    expected = data["consensus"]["bradley_terry"]
    reference = choix.ilsr_pairwise(4, preferences(rankings), alpha=0.01)
    reference = reference - reference.mean()
    assert list(reference) == approx(
        [expected["choix.ilsr_pairwise_alpha0.01_params_mean_centred"][c] for c in LETTERS]
    )
    exported = []
    for annotator, tiers in zip(data["annotators"], rankings, strict=True):
        ranks = average_ranks(tiers)
        for winner, loser, _ in strict_pairs(tiers):
            exported.append((annotator, LETTERS[winner], LETTERS[loser], ranks[loser] - ranks[winner]))
    vector = data["pair_export_ties_dropped"]
    assert len(exported) == vector["n_pairs"]
    assert sorted(exported) == sorted(
        (p["annotator"], p["chosen"], p["rejected"], p["rank_gap"]) for p in vector["pairs"]
    )


@pytest.mark.parametrize("level", ["ordinal", "interval", "nominal"])
def test_krippendorff_alpha_of_value_counts_is_the_packages_to_the_last_bit(level):
    rng = np.random.default_rng(7)
    for units, coders in [(40, 2), (500, 3), (3000, 5)]:
        counts = rng.multinomial(coders, [0.5, 0.2, 0.3], size=units).astype(np.float64)
        counts[rng.random(units) < 0.2] -= [1, 0, 0]
        pairable = counts[(counts >= 0).all(axis=1) & (counts.sum(axis=1) >= 2)]
        reference = krippendorff.alpha(value_counts=pairable, value_domain=VALUE_DOMAIN, level_of_measurement=level)
        assert krippendorff_alpha(value_counts=pairable, level=level) == float(reference)
