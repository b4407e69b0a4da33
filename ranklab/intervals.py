"""Confidence intervals of shares. Pure: counts in, bounds out."""

import math

Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval of a binomial share; None for n = 0."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def paired_difference_interval(
    both: int, first_only: int, second_only: int, neither: int, *, z: float = Z_95
) -> tuple[float, float] | None:
    """Interval of p₁ − p₂ for two shares measured on the same n items (Newcombe 1998, method 10).

    The counts are the 2×2 table of the items: in both shares, in the first only, the second only,
    neither. It combines each share's Wilson interval with their correlation; None for n = 0.
    """
    n = both + first_only + second_only + neither
    if n <= 0:
        return None
    p1, p2 = (both + first_only) / n, (both + second_only) / n
    low1, high1 = wilson_interval(both + first_only, n, z=z)
    low2, high2 = wilson_interval(both + second_only, n, z=z)
    margins = (both + first_only) * (second_only + neither) * (both + second_only) * (first_only + neither)
    phi = (both * neither - first_only * second_only) / math.sqrt(margins) if margins else 0.0
    difference = p1 - p2
    below = math.sqrt(max((p1 - low1) ** 2 - 2 * phi * (p1 - low1) * (high2 - p2) + (high2 - p2) ** 2, 0.0))
    above = math.sqrt(max((high1 - p1) ** 2 - 2 * phi * (high1 - p1) * (p2 - low2) + (p2 - low2) ** 2, 0.0))
    return max(-1.0, difference - below), min(1.0, difference + above)
