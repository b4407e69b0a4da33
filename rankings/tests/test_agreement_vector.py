"""Every figure of the shared test vector, to four decimals, in both cases."""

import json
import math
from itertools import combinations
from pathlib import Path

import pytest

from rankings.agreement import (
    kendall_tau_b_mean,
    kendall_w,
    krippendorff_alpha,
    krippendorff_alpha_of_ranks,
    pair_relations,
    pairwise_agreement,
)
from rankings.consensus import borda, bradley_terry, ranked_pairs_order

VECTOR = json.loads((Path(__file__).parent / "data" / "agreement-vector.json").read_text())
CASES = ["case1_complete", "case2_incomplete_overlap"]


def case(name):
    data = VECTOR[name]
    return data, [data["tiers"][annotator] for annotator in data["annotators"]]


@pytest.mark.parametrize("name", CASES)
def test_pair_relations(name):
    data, rankings = case(name)
    order = [tuple(pair) for pair in data["pair_order"]]
    for annotator, tiers in zip(data["annotators"], rankings, strict=True):
        relations = pair_relations(tiers)
        assert [relations.get(pair) for pair in order] == data["pair_relations"][annotator]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("kind", ["exact", "strict", "half"])
def test_pairwise_agreement(name, kind):
    data, rankings = case(name)
    expected = data["pairwise_agreement"][kind]
    figures = pairwise_agreement(rankings)[kind]
    assert figures["mean"] == pytest.approx(expected["mean_over_annotator_pairs"], abs=5e-5)
    assert figures["pooled"] == pytest.approx(expected["pooled_over_all_judged_pairs"], abs=5e-5)
    for (i, left), (j, right) in combinations(enumerate(data["annotators"]), 2):
        pair = pairwise_agreement([rankings[i], rankings[j]])[kind]["pooled"]
        assert pair == pytest.approx(expected["per_annotator_pair"][f"{left}|{right}"]["agreement"], abs=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_kendall_tau_b(name):
    data, rankings = case(name)
    assert kendall_tau_b_mean(rankings) == pytest.approx(data["kendall_tau_b"]["mean_tau_b"], abs=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_kendall_w_tie_corrected(name):
    data, rankings = case(name)
    assert kendall_w(rankings) == pytest.approx(data["kendall_w"]["W_tie_corrected"], abs=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_krippendorff_alpha(name):
    data, rankings = case(name)
    alphas = data["krippendorff_alpha"]
    both = alphas["units=candidate_pairs_both_orientations,values=relation(-1,0,1)"]["ordinal"]
    assert krippendorff_alpha(rankings) == pytest.approx(both, abs=5e-5)
    ranks = alphas["units=candidates,values=avg_rank"]["ordinal"]
    assert krippendorff_alpha_of_ranks(rankings) == pytest.approx(ranks, abs=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_consensus(name):
    data, rankings = case(name)
    expected = data["consensus"]
    assert borda(rankings) == pytest.approx(expected["borda_points"], abs=5e-5)
    assert ranked_pairs_order(rankings) == expected["ranked_pairs_order"]
    strengths = bradley_terry(rankings, alpha=expected["bradley_terry"]["choix.opt_pairwise_alpha"])
    for candidate, value in expected["bradley_terry"]["params"].items():
        assert strengths[candidate] == pytest.approx(value, abs=5e-5)


def test_a_candidate_that_never_loses_stays_finite():
    strengths = bradley_terry([[["A"], ["B"], ["C"]]] * 50)
    assert all(math.isfinite(value) for value in strengths.values())
    assert strengths["A"] > strengths["B"] > strengths["C"]
