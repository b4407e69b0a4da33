"""How much the next human ranking of a comparison is expected to change its consensus. Pure.

The score is the posterior uncertainty of the Bradley–Terry order among the comparison's
candidates: the MAP strengths of the regularised fit that `rankings.consensus.bradley_terry`
makes, with the Laplace approximation of their posterior (the inverse Hessian of the same
objective, whose penalty is a Gaussian prior of variance 1 / (2·alpha)). For every pair of
candidates it takes the posterior probability that the pair is ordered the other way round
from the MAP order, Φ(-|θa - θb| / sd(θa - θb)), and the score is twice the mean over the
pairs, so it lies in [0, 1]:

- 1 where nothing is known of the order: a comparison nobody ranked yet (the prior alone), or
  one whose rankings cancel out exactly. So under "most informative first" every comparison
  gets its first ranking before any gets a second: its first ranking is the one that changes
  its consensus most, from none at all to one.
- Lower the more rankings agree, and higher where trainers disagree (human/human disagreement
  moves the MAP strengths together while it narrows their spread less).

Evidence from elsewhere enters as more outcomes with a weight (`extra`), added to the
humans' before the fit, so a judge's pairwise verdicts can count as a fraction of a human's.
"""

from collections.abc import Iterable, Mapping
from itertools import combinations
from math import erfc, sqrt

import numpy as np

from rankings.consensus import bradley_terry, pairwise_wins

Tiers = list[list[int]]

# The penalty of `consensus.bradley_terry`: a prior of variance 5 on each strength.
ALPHA = 0.1
UNKNOWN = 1.0


def order_uncertainty(
    rankings: list[Tiers],
    *,
    candidates: Iterable[int] = (),
    extra: Mapping[tuple[int, int], float] | None = None,
    alpha: float = ALPHA,
    remaining: int | None = None,
) -> float:
    """Twice the mean posterior probability, over candidate pairs, that the BT order of the pair is wrong."""
    wins: dict[tuple[int, int], float] = dict(pairwise_wins(rankings))
    for pair, weight in (extra or {}).items():
        wins[pair] = wins.get(pair, 0.0) + weight
    names = sorted(
        set(candidates)
        | {candidate for tiers in rankings for tier in tiers for candidate in tier}
        | {name for pair in wins for name in pair}
    )
    if len(names) < 2:
        return 0.0
    if not wins:
        return UNKNOWN
    strengths = bradley_terry(wins, alpha, items=names)
    theta = np.array([strengths[name] for name in names])
    index = {name: i for i, name in enumerate(names)}
    precision = 2 * alpha * np.identity(len(names))
    for (winner, loser), count in wins.items():
        w, lo = index[winner], index[loser]
        p = 1 / (1 + np.exp(-(theta[w] - theta[lo])))
        curvature = count * p * (1 - p)
        precision[w, w] += curvature
        precision[lo, lo] += curvature
        precision[w, lo] -= curvature
        precision[lo, w] -= curvature
    covariance = np.linalg.inv(precision)
    flips = []
    for a, b in combinations(range(len(names)), 2):
        if (
            remaining is not None
            and abs(wins.get((names[a], names[b]), 0) - wins.get((names[b], names[a]), 0)) > remaining
        ):
            flips.append(0.0)
            continue
        spread = sqrt(max(covariance[a, a] + covariance[b, b] - 2 * covariance[a, b], 1e-12))
        # Φ(-x) = erfc(x / √2) / 2
        flips.append(erfc(abs(theta[a] - theta[b]) / spread / sqrt(2)) / 2)
    return float(2 * np.mean(flips))
