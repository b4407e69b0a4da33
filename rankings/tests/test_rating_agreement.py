"""Interval alpha of ratings against the `krippendorff` package, missing values included."""

import krippendorff
import numpy as np
import pytest

from rankings.rating_agreement import interval_alpha_of

NAN = np.nan

# Krippendorff's own example (Content Analysis, 2004): 4 coders, 12 units, missing values.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def reference(matrix) -> float:
    return krippendorff.alpha(reliability_data=np.array(matrix, dtype=float), level_of_measurement="interval")


def random_ratings(seed: int, *, coders: int, units: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, size=units)
    noise = rng.integers(-1, 2, size=(coders, units)) * (rng.random((coders, units)) < 0.4)
    data = np.clip(truth + noise, 0, 4).astype(float)
    data[rng.random((coders, units)) < missing] = np.nan
    return data


def test_it_matches_krippendorffs_example_with_missing_values():
    assert interval_alpha_of(np.array(KRIPPENDORFF_EXAMPLE)).alpha == pytest.approx(reference(KRIPPENDORFF_EXAMPLE))


@pytest.mark.parametrize(
    ("seed", "coders", "units", "missing"),
    [(1, 3, 50, 0.0), (2, 3, 200, 0.3), (3, 10, 40, 0.7), (4, 2, 500, 0.1), (5, 30, 300, 0.9)],
)
def test_it_matches_the_package_on_random_ratings(seed, coders, units, missing):
    data = random_ratings(seed, coders=coders, units=units, missing=missing)
    assert interval_alpha_of(data).alpha == pytest.approx(reference(data), rel=1e-9, abs=1e-12)


def test_it_leaves_out_units_rated_once_and_counts_the_pairable_ones():
    data = np.array([[1, 2, 4, NAN], [1, 3, NAN, 0]], dtype=float)
    figure = interval_alpha_of(data)
    assert (figure.units, figure.values) == (2, 4)
    assert figure.alpha == pytest.approx(reference(data))


def test_it_is_undefined_without_two_pairable_values_or_without_variation():
    assert interval_alpha_of(np.array([[1, NAN], [NAN, 2]], dtype=float)).alpha is None
    assert interval_alpha_of(np.array([[3, 3], [3, 3]], dtype=float)).alpha is None


def test_perfect_agreement_is_one_and_negative_values_work():
    assert interval_alpha_of(np.array([[-2, 0, 3], [-2, 0, 3]], dtype=float)).alpha == pytest.approx(1.0)
