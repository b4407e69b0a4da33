"""Krippendorff's alpha for ratings on an interval scale: how far trainers agree on an attribute.

Pure (numpy). Units are candidates, coders are trainers, values the ratings of one attribute.
With the squared difference as the interval metric, the observed and the expected disagreement
need only each unit's count of values m, their sum and their sum of squares:

    within a unit:  sum over ordered pairs i != j of (v_i - v_j)^2 = 2 (m sum v^2 - (sum v)^2)
    D_o = 1/n  sum over units of that / (m - 1)
    D_e = 2 (n sum v^2 - (sum v)^2) / (n (n - 1))     over every pairable value
    alpha = 1 - D_o / D_e

where only units with at least two values are pairable and n counts their values. So the
statistics recompute (rankings/rating_stats.py) needs three bincounts over the rated candidates,
and no pairs are ever formed (docs/statistics.md).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IntervalAlpha:
    alpha: float | None  # None: fewer than two pairable values, or no variation at all
    units: int  # units with at least two values
    values: int  # the values in those units

    def as_dict(self) -> dict:
        return {"alpha": self.alpha, "units": self.units, "values": self.values}


@dataclass(frozen=True)
class UnitTotals:
    """Sums over the pairable units (two values or more) of one attribute."""

    units: int
    values: int  # n: the values in those units
    total: float  # sum of the values
    squares: float  # sum of their squares
    within: float  # sum over units of (m sum v^2 - (sum v)^2) / (m - 1)


def alpha_from_totals(totals: UnitTotals) -> IntervalAlpha:
    n, units = totals.values, totals.units
    expected = (n * totals.squares - totals.total**2) / (n * (n - 1)) if n >= 2 else 0.0
    # Rounding can leave a hair above zero where every value is the same.
    if expected <= 1e-12 * max(1.0, totals.squares):
        return IntervalAlpha(None, units, n)
    # The 2 of both disagreements cancels.
    return IntervalAlpha(float(1 - (totals.within / n) / expected), units, n)


def unit_totals(*, counts: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> UnitTotals:
    """The totals of per-unit counts, sums and sums of squares; units with fewer than two values drop out."""
    counts = np.asarray(counts, dtype=np.float64)
    pairable = counts >= 2
    counts = counts[pairable]
    sums = np.asarray(sums, dtype=np.float64)[pairable]
    squares = np.asarray(squares, dtype=np.float64)[pairable]
    return UnitTotals(
        units=int(pairable.sum()),
        values=int(counts.sum()),
        total=float(sums.sum()),
        squares=float(squares.sum()),
        within=float(((counts * squares - sums**2) / (counts - 1)).sum()),
    )


def interval_alpha(*, counts: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> IntervalAlpha:
    """Alpha from each unit's number of values, their sum and their sum of squares."""
    return alpha_from_totals(unit_totals(counts=counts, sums=sums, squares=squares))


def interval_alpha_of(reliability: np.ndarray) -> IntervalAlpha:
    """Alpha of a coders × units matrix with NaN where a coder gave the unit no value."""
    data = np.asarray(reliability, dtype=np.float64)
    present = ~np.isnan(data)
    values = np.where(present, data, 0.0)
    return interval_alpha(counts=present.sum(axis=0), sums=values.sum(axis=0), squares=(values**2).sum(axis=0))
