"""`aligned_figures`: the dashboard's agreement of many comparisons at once, as arrays, against the
one-comparison functions it stands in for."""

import math
from dataclasses import astuple
from itertools import combinations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rankings.agreement import (
    PairCounts,
    aligned_figures,
    kendall_w,
    pair_relations,
    pair_value_rows,
    relations_compare,
)
from rankings.tests.test_agreement_properties import weak_orders


@st.composite
def aligned_comparisons(draw):
    """Several comparisons of `k` candidates, each ranked completely by `m` annotators."""
    k, m = draw(st.integers(2, 6)), draw(st.integers(2, 5))
    candidates = list(range(k))
    return [[draw(weak_orders(candidates, min_size=k)) for _ in range(m)] for _ in range(draw(st.integers(1, 4)))], k


@given(aligned_comparisons())
def test_each_row_is_what_the_one_comparison_functions_give(comparisons_and_k):
    comparisons, k = comparisons_and_k
    relations = [[pair_relations(tiers) for tiers in rankings] for rankings in comparisons]
    values = np.array([[list(r.values()) for r in group] for group in relations], dtype=np.int8)
    figures = aligned_figures(values, k)
    taus, rows = [], []
    for index, (rankings, group) in enumerate(zip(comparisons, relations, strict=True)):
        pairs = [relations_compare(left, right) for left, right in combinations(group, 2)]
        assert tuple(figures.counts[index].tolist()) == astuple(PairCounts.total(pairs))
        taus.extend(tau for counts in pairs if (tau := counts.tau_b) is not None)
        w = kendall_w(rankings)
        assert math.isnan(figures.ws[index]) if w is None else math.isclose(figures.ws[index], w.w)
        rows.extend(pair_value_rows(group))
    assert np.allclose(np.sort(figures.taus), np.sort(taus))
    assert sorted(map(tuple, figures.value_counts.tolist())) == sorted(tuple(map(float, row)) for row in rows)
