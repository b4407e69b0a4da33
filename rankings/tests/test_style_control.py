"""Style-controlled Bradley–Terry (rankings/consensus.py) and the style covariates (rankings/style.py)."""

import math

import numpy as np
import pytest

from rankings.consensus import bradley_terry, bradley_terry_fit
from rankings.style import COVARIATES, Style, style_of

TRUE_STRENGTH = np.array([0.6, 0.3, 0.1, -0.1, -0.3, -0.6])
# The weaker sources write longer answers (mean log length), so length pulls the raw fit the wrong way.
VERBOSITY = np.array([5.0, 5.2, 5.6, 6.0, 6.4, 6.8])
LENGTH_EFFECT = 0.8


def battles(n: int = 20_000, seed: int = 11):
    """Battles between answers of random sources, won by strength and a planted length effect."""
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, 6, (2, n))
    keep = first != second
    first, second = first[keep], second[keep]
    log_length = VERBOSITY[np.stack([first, second])] + rng.normal(0, 0.5, (2, len(first)))
    # Markdown that has no effect of its own: its coefficients should come out near 0.
    markdown = rng.uniform(0, 1, (2, len(first), 3))
    covariates = np.concatenate([log_length[..., None], markdown], axis=2)
    margin = TRUE_STRENGTH[first] - TRUE_STRENGTH[second] + LENGTH_EFFECT * (log_length[0] - log_length[1])
    first_won = rng.random(len(first)) < 1 / (1 + np.exp(-margin))
    winners = np.where(first_won, first, second)
    losers = np.where(first_won, second, first)
    difference = np.where(first_won[:, None], covariates[0] - covariates[1], covariates[1] - covariates[0])
    return winners, losers, difference


def test_the_style_controlled_fit_recovers_a_planted_length_effect_and_the_raw_fit_does_not():
    winners, losers, covariates = battles()
    names = [f"source-{i}" for i in range(6)]
    styled = bradley_terry_fit(names, winners, losers, covariates=covariates)
    raw = bradley_terry_fit(names, winners, losers)
    length, (low, high) = styled.coefficients[0], styled.coefficient_intervals[0]
    assert length == pytest.approx(LENGTH_EFFECT, abs=0.1)
    assert low < LENGTH_EFFECT < high
    for coefficient, (low, high) in zip(styled.coefficients[1:], styled.coefficient_intervals[1:], strict=True):
        assert abs(coefficient) < 0.15 and low < 0 < high
    recovered = np.array([styled.strengths[name] for name in names])
    assert np.abs(recovered - TRUE_STRENGTH).max() < 0.1
    inside = [
        styled.strength_intervals[name][0] < TRUE_STRENGTH[i] < styled.strength_intervals[name][1]
        for i, name in enumerate(names)
    ]
    assert sum(inside) >= 5
    # Without the covariate the verbose, weaker sources come out on top.
    pulled = np.array([raw.strengths[name] for name in names])
    assert np.abs(pulled - TRUE_STRENGTH).max() > 0.5
    assert pulled[-1] > pulled[0]
    assert raw.coefficients == ()


def test_without_covariates_it_is_the_regularised_fit_the_consensus_uses():
    outcomes = {("a", "b"): 7, ("b", "a"): 3, ("b", "c"): 6, ("c", "b"): 4, ("a", "c"): 2}
    names = ["a", "b", "c"]
    pairs = list(outcomes)
    fit = bradley_terry_fit(
        names,
        np.array([names.index(w) for w, _ in pairs]),
        np.array([names.index(loser) for _, loser in pairs]),
        counts=np.array([outcomes[pair] for pair in pairs], dtype=float),
    )
    expected = bradley_terry(outcomes, items=names)
    assert fit.strengths == pytest.approx(expected, abs=1e-6)
    assert sum(fit.strengths.values()) == pytest.approx(0, abs=1e-9)
    for name in names:
        low, high = fit.strength_intervals[name]
        assert low < fit.strengths[name] < high


def test_a_covariate_that_never_differs_or_moves_in_lockstep_with_another_gets_no_coefficient():
    winners, losers, covariates = battles(2_000)
    covariates[:, 2] = 0
    covariates[:, 3] = 4 * covariates[:, 1]
    fit = bradley_terry_fit([str(i) for i in range(6)], winners, losers, covariates=covariates)
    assert fit.coefficients[2] is None and fit.coefficient_intervals[2] is None
    assert fit.coefficients[3] is None and fit.coefficient_intervals[3] is None
    assert fit.coefficients[0] == pytest.approx(LENGTH_EFFECT, abs=0.2)
    assert abs(fit.coefficients[1]) < 0.5


def test_the_style_of_an_answer():
    text = "## Plan\n\nFirst **this**, then __that__.\n\n- one\n- two\n1. three\n  * four\n#hashtag"
    assert style_of(text) == Style(length=len(text), lines=7, headers=1, list_items=4, bold=2)
    assert style_of(text).covariates == pytest.approx((math.log(len(text)), 1 / 7, 4 / 7, 2 / 7))
    assert style_of("Plain prose, one line.") == Style(length=22)
    assert style_of("- a single item") == Style(length=15, list_items=1)
    assert style_of("") == Style(length=0)
    assert len(style_of("x").covariates) == len(COVARIATES)
