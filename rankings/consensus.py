"""Consensus of several rankings of one comparison. Pure: tiers in, tiers (or scores) out.

A ranking is a list of tiers of candidate ids, best first; a tier of several ids is a tie.
Annotators may have seen only some candidates; an unseen candidate simply gets no votes.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from rankings.agreement import average_ranks, strict_pairs
from ranklab.intervals import Z_95

Tiers = list[list[int]]
METHODS = ("ranked_pairs", "borda", "bradley_terry")


def pairwise_wins(rankings: list[Tiers]) -> dict[tuple[int, int], int]:
    """(a, b) → how many annotators put a strictly above b."""
    return Counter((winner, loser) for tiers in rankings for winner, loser, _ in strict_pairs(tiers))


def ranked_pairs(rankings: list[Tiers]) -> Tiers:
    """The consensus tiers of several rankings by Tideman's ranked pairs.

    Majorities are locked by margin (descending), then winning votes (descending), then
    candidate id, skipping any that would close a cycle. Candidates that no locked majority
    separates share a tier, so `ranked_pairs([[[1], [2]], [[2], [1]]]) == [[1, 2]]`. One
    ranking is its own consensus; no rankings give `[]`.
    """
    if len(rankings) == 1:
        return [list(tier) for tier in rankings[0]]
    candidates = sorted({candidate for tiers in rankings for tier in tiers for candidate in tier})
    return ranked_pairs_of_wins(candidates, pairwise_wins(rankings))


def ranked_pairs_of_wins(candidates: list[int], wins: Mapping[tuple[int, int], int]) -> Tiers:
    """Ranked pairs over sorted `candidates` from the counts (a, b) → annotators putting a strictly above b.

    The statistics count the wins from pair relations they hold already, rather than from tiers.
    """
    beats: dict[int, set[int]] = defaultdict(set)
    for _, _, winner, loser in _majorities(candidates, wins):
        if not _reaches(beats, loser, winner):
            beats[winner].add(loser)
    return _layers(candidates, beats)


def majorities(rankings: list[Tiers]) -> list[tuple[int, int, int, int]]:
    """(margin, winning votes, winner, loser) of every strict majority, in ranked-pairs locking order."""
    candidates = sorted({candidate for tiers in rankings for tier in tiers for candidate in tier})
    return _majorities(candidates, pairwise_wins(rankings))


def _majorities(candidates: list[int], wins: Mapping[tuple[int, int], int]) -> list[tuple[int, int, int, int]]:
    found = []
    for index, a in enumerate(candidates):
        for b in candidates[index + 1 :]:
            forward, backward = wins.get((a, b), 0), wins.get((b, a), 0)
            if forward > backward:
                found.append((forward - backward, forward, a, b))
            elif backward > forward:
                found.append((backward - forward, backward, b, a))
    found.sort(key=lambda m: (-m[0], -m[1], m[2], m[3]))
    return found


def _reaches(beats: dict[int, set[int]], start: int, goal: int) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(beats[node])
    return False


def _layers(candidates: list[int], beats: dict[int, set[int]]) -> Tiers:
    """Tiers of the locked graph: each tier holds the candidates nothing left beats."""
    remaining, tiers = set(candidates), []
    while remaining:
        beaten = {loser for winner in remaining for loser in beats[winner] if loser in remaining}
        tier = sorted(remaining - beaten)
        tiers.append(tier)
        remaining -= set(tier)
    return tiers


def borda_points(rankings: list[Tiers]) -> dict[int, float]:
    """Per annotator, each seen candidate scores the candidates it beats plus half those it ties with."""
    points: dict[int, float] = defaultdict(float)
    for tiers in rankings:
        ranks = average_ranks(tiers)
        for candidate, rank in ranks.items():
            points[candidate] += len(ranks) - rank
    return dict(points)


def borda(rankings: list[Tiers]) -> dict[int, float]:
    """Borda points of each candidate (beaten + half tied, summed over the rankings that saw it)."""
    return borda_points(rankings)


def borda_tiers(rankings: list[Tiers]) -> Tiers:
    """Consensus tiers by Borda points; equal points share a tier."""
    return scores_to_tiers(borda_points(rankings))


def bradley_terry(
    outcomes: Mapping[tuple[int, int], float] | Iterable,
    alpha: float = 0.1,
    *,
    items: Iterable[int] = (),
) -> dict[int, float]:
    """Regularised Bradley-Terry strengths (log scale, centred by the penalty) of `items`.

    `outcomes` is a list of rankings (tiers; their strict preferences are used, ties dropped),
    a list of (winner, loser), or a mapping (winner, loser) → count. Minimises
    Σ count·log(1 + exp(-(θ_w - θ_l))) + alpha·Σθ², the objective of `choix.opt_pairwise`;
    counts instead of repeated tuples keep 100k rankings' battles to a small matrix. The
    penalty (alpha > 0) keeps a candidate that never loses finite. Items with no outcome get 0.
    """
    if alpha <= 0:
        raise ValueError("alpha must be positive: an unbeaten item would have an infinite strength")
    if not isinstance(outcomes, Mapping):
        outcomes = list(outcomes)
        if outcomes and isinstance(outcomes[0], list) and any(isinstance(tier, list) for tier in outcomes[0]):
            items = {*items, *(candidate for tiers in outcomes for tier in tiers for candidate in tier)}
            outcomes = pairwise_wins(outcomes)
        else:
            counted: dict[tuple[int, int], float] = defaultdict(float)
            for pair in outcomes:
                counted[pair] += 1
            outcomes = counted
    names = sorted(set(items) | {item for pair in outcomes for item in pair})
    if not names:
        return {}
    index = {name: i for i, name in enumerate(names)}
    winners = np.array([index[w] for w, _ in outcomes], dtype=np.intp)
    losers = np.array([index[loser] for _, loser in outcomes], dtype=np.intp)
    counts = np.array(list(outcomes.values()), dtype=np.float64)
    n = len(names)

    def objective(theta: np.ndarray) -> float:
        return float(counts @ np.logaddexp(0, -(theta[winners] - theta[losers])) + alpha * theta @ theta)

    def gradient(theta: np.ndarray) -> np.ndarray:
        pull = counts / (1 + np.exp(theta[winners] - theta[losers]))
        return np.bincount(losers, pull, n) - np.bincount(winners, pull, n) + 2 * alpha * theta

    def hessian(theta: np.ndarray) -> np.ndarray:
        z = theta[winners] - theta[losers]
        curvature = counts / (2 + np.exp(z) + np.exp(-z))
        matrix = 2 * alpha * np.identity(n)
        np.add.at(matrix, (winners, winners), curvature)
        np.add.at(matrix, (losers, losers), curvature)
        np.add.at(matrix, (winners, losers), -curvature)
        np.add.at(matrix, (losers, winners), -curvature)
        return matrix

    result = minimize(objective, np.zeros(n), method="Newton-CG", jac=gradient, hess=hessian, options={"xtol": 1e-10})
    return {name: float(value) for name, value in zip(names, result.x, strict=True)}


@dataclass(frozen=True)
class BradleyTerryFit:
    """Strengths (log scale, centred on 0) and covariate coefficients, each with a 95 % Wald interval.

    A coefficient is None where the data cannot determine it: its covariate never differs between
    winner and loser, or moves in lockstep with another.
    """

    strengths: dict[str, float]
    strength_intervals: dict[str, tuple[float, float]]
    coefficients: tuple[float | None, ...]
    coefficient_intervals: tuple[tuple[float, float] | None, ...]
    battles: float


def bradley_terry_fit(
    items: Sequence[str],
    winners: np.ndarray,
    losers: np.ndarray,
    *,
    covariates: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    alpha: float = 0.1,
) -> BradleyTerryFit:
    """Bradley–Terry strengths of `items`, optionally style-controlled, with their intervals.

    Battle i: `items[winners[i]]` beat `items[losers[i]]` (`counts[i]` times, 1 by default).
    `covariates[i]` is the winner's covariates less the loser's (one column each), so that
    P(a beats b) = σ(θ_a − θ_b + β·(x_a − x_b)): the strengths are what is left once the
    covariates have had their say. Minimises the negative log-likelihood plus alpha·(Σθ² + Σβ²):
    the penalty centres the strengths (the likelihood sees only differences) and keeps an unbeaten
    item, or a covariate that separates winners from losers in a few pairs, finite; against
    thousands of pairs it is negligible. Intervals come from the inverse Hessian at the optimum;
    those of the strengths are of the centred strengths.
    """
    n = len(items)
    winners, losers = np.asarray(winners, dtype=np.intp), np.asarray(losers, dtype=np.intp)
    counts = np.ones(len(winners)) if counts is None else np.asarray(counts, dtype=np.float64)
    columns = 0 if covariates is None else covariates.shape[1]
    used = _identifiable(covariates) if columns else []
    x = covariates[:, used] if used else np.zeros((len(winners), 0))
    p = len(used)

    def margins(params: np.ndarray) -> np.ndarray:
        return params[winners] - params[losers] + x @ params[n:]

    def objective(params: np.ndarray) -> float:
        return float(counts @ np.logaddexp(0, -margins(params)) + alpha * params @ params)

    def gradient(params: np.ndarray) -> np.ndarray:
        pull = counts / (1 + np.exp(margins(params)))
        theta = np.bincount(losers, pull, n) - np.bincount(winners, pull, n)
        return np.concatenate([theta, -(x.T @ pull)]) + 2 * alpha * params

    def hessian(params: np.ndarray) -> np.ndarray:
        z = margins(params)
        weight = counts / (2 + np.exp(z) + np.exp(-z))
        by_pair = np.bincount(winners * n + losers, weight, n * n).reshape(n, n)
        by_pair += by_pair.T
        matrix = np.empty((n + p, n + p))
        matrix[:n, :n] = np.diag(by_pair.sum(axis=1) + 2 * alpha) - by_pair
        weighted = x * weight[:, None]
        cross = np.zeros((n, p))
        for j in range(p):
            cross[:, j] = np.bincount(winners, weighted[:, j], n) - np.bincount(losers, weighted[:, j], n)
        matrix[:n, n:], matrix[n:, :n] = cross, cross.T
        matrix[n:, n:] = x.T @ weighted + 2 * alpha * np.identity(p)
        return matrix

    result = minimize(objective, np.zeros(n + p), method="trust-exact", jac=gradient, hess=hessian)
    covariance = np.linalg.pinv(hessian(result.x))
    centre = np.identity(n) - 1 / n
    strength_sd = np.sqrt(np.clip(np.diag(centre @ covariance[:n, :n] @ centre), 0, None))
    coefficient_sd = np.sqrt(np.clip(np.diag(covariance)[n:], 0, None))
    coefficients: list[float | None] = [None] * columns
    coefficient_intervals: list[tuple[float, float] | None] = [None] * columns
    for position, column in enumerate(used):
        value, spread = float(result.x[n + position]), Z_95 * float(coefficient_sd[position])
        coefficients[column], coefficient_intervals[column] = value, (value - spread, value + spread)
    return BradleyTerryFit(
        strengths={name: float(result.x[i]) for i, name in enumerate(items)},
        strength_intervals={
            name: (float(result.x[i] - Z_95 * strength_sd[i]), float(result.x[i] + Z_95 * strength_sd[i]))
            for i, name in enumerate(items)
        },
        coefficients=tuple(coefficients),
        coefficient_intervals=tuple(coefficient_intervals),
        battles=float(counts.sum()),
    )


def _identifiable(covariates: np.ndarray) -> list[int]:
    """The columns whose coefficients the data can tell apart, in order: a covariate that never
    differs, or that moves in lockstep with earlier ones (every formatted answer with one header
    and one bold span), would leave its coefficient undetermined."""
    gram = covariates.T @ covariates
    kept: list[int] = []
    for column in range(covariates.shape[1]):
        trial = [*kept, column]
        block = gram[np.ix_(trial, trial)]
        scale = np.sqrt(np.diag(block))
        if scale[-1] == 0:
            continue
        # Correlation-scaled, so that the test does not depend on the covariates' units.
        if np.linalg.matrix_rank(block / np.outer(scale, scale), tol=1e-8) == len(trial):
            kept.append(column)
    return kept


def bradley_terry_scores(rankings: list[Tiers], *, alpha: float = 0.1) -> dict[int, float]:
    """Bradley-Terry strengths of the candidates from every ranking's strict preferences."""
    candidates = {candidate for tiers in rankings for tier in tiers for candidate in tier}
    return bradley_terry(pairwise_wins(rankings), alpha, items=candidates)


def scores_to_tiers(scores: Mapping[int, float], *, tolerance: float = 1e-9) -> Tiers:
    """Highest score first; scores within `tolerance` of the tier's first share it."""
    tiers: Tiers = []
    top = None
    for candidate, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        if top is not None and top - score <= tolerance:
            tiers[-1].append(candidate)
        else:
            tiers.append([candidate])
            top = score
    return tiers


def consensus(rankings: list[Tiers], *, method: str = "ranked_pairs") -> Tiers:
    """The consensus tiers by `method`: ranked_pairs (the default), borda or bradley_terry."""
    if method == "ranked_pairs":
        return ranked_pairs(rankings)
    if method == "borda":
        return borda_tiers(rankings)
    if method == "bradley_terry":
        return scores_to_tiers(bradley_terry_scores(rankings), tolerance=1e-6)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
