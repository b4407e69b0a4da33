"""Agreement between annotators' rankings. Pure: tiers in, numbers out.

A ranking is a list of tiers of candidate ids, best first; a tier of several ids is a tie.
An annotator may have seen only some of the candidates: every figure is taken over what
both (or all) annotators judged. The definitions follow `rankings/tests/data/agreement-vector.json`.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from krippendorff.krippendorff import _distance_metric, _distances, _random_coincidences
from scipy.stats import chi2 as chi2_distribution

Tiers = list[list[int]]
Relations = dict[tuple[int, int], int]


def average_ranks(tiers: Tiers) -> dict[int, float]:
    """Rank 1 is the best; tied candidates share the mean of the positions they span."""
    ranks, taken = {}, 0
    for tier in tiers:
        for candidate in tier:
            ranks[candidate] = taken + (len(tier) + 1) / 2
        taken += len(tier)
    return ranks


def pair_relations(tiers: Tiers) -> Relations:
    """For each candidate pair (a, b) with a < b: +1 if a is preferred, -1 if b is, 0 for a tie."""
    position = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
    return {
        (a, b): (position[a] < position[b]) - (position[a] > position[b]) for a, b in combinations(sorted(position), 2)
    }


def strict_pairs(tiers: Tiers) -> list[tuple[int, int, int]]:
    """(winner, loser, distance in tiers) for every non-tied pair of one ranking; a tie is no pair.

    Winners come best first and the candidates of a tier by id, so the order does not depend
    on how a trainer happened to list a tie.
    """
    ordered = [sorted(tier) for tier in tiers]
    # A list built in one comprehension: on the export's hot path it is much cheaper than a generator.
    return [
        (winner, loser, lower - upper)
        for upper, winners in enumerate(ordered)
        for winner in winners
        for lower in range(upper + 1, len(ordered))
        for loser in ordered[lower]
    ]


@dataclass(frozen=True)
class PairCounts:
    """How two rankings compare over the candidate pairs both judged."""

    judged: int = 0
    exact: int = 0
    half: float = 0.0
    strict_judged: int = 0
    strict_agreed: int = 0
    # Kendall's τ-b ingredients on the shared candidates.
    concordant: int = 0
    discordant: int = 0
    left_ties: int = 0
    right_ties: int = 0

    def __add__(self, other: "PairCounts") -> "PairCounts":
        return PairCounts(
            self.judged + other.judged,
            self.exact + other.exact,
            self.half + other.half,
            self.strict_judged + other.strict_judged,
            self.strict_agreed + other.strict_agreed,
            self.concordant + other.concordant,
            self.discordant + other.discordant,
            self.left_ties + other.left_ties,
            self.right_ties + other.right_ties,
        )

    @classmethod
    def total(cls, counts: Iterable["PairCounts"]) -> "PairCounts":
        """The sum of many counts, as `sum(counts, PairCounts())` gives it, without a new object per term."""
        return cls(*(sum(column) for column in zip(*(vars(item).values() for item in counts), strict=True)))

    def rates(self) -> dict[str, float | None]:
        """exact: identical three-way relation; strict: only pairs both judged strictly, same
        direction; half: a tie against a strict preference counts one half."""
        return {
            "exact": self.exact / self.judged if self.judged else None,
            "strict": self.strict_agreed / self.strict_judged if self.strict_judged else None,
            "half": self.half / self.judged if self.judged else None,
        }

    @property
    def tau_b(self) -> float | None:
        """Kendall's τ-b, as `scipy.stats.kendalltau` gives it; None where it is undefined."""
        denominator = (self.judged - self.left_ties) * (self.judged - self.right_ties)
        if denominator <= 0:
            return None
        return (self.concordant - self.discordant) / math.sqrt(denominator)


def relations_compare(left: Relations, right: Relations) -> PairCounts:
    """Counts of `left` against `right` over the pairs both judged (the shared candidates' pairs)."""
    judged = exact = strict_judged = strict_agreed = concordant = discordant = left_ties = right_ties = 0
    half = 0.0
    for pair in left.keys() & right.keys():
        a, b = left[pair], right[pair]
        judged += 1
        if a == b:
            exact += 1
            half += 1.0
        elif a == 0 or b == 0:
            half += 0.5
        if a and b:
            strict_judged += 1
            if a == b:
                strict_agreed += 1
                concordant += 1
            else:
                discordant += 1
        left_ties += a == 0
        right_ties += b == 0
    return PairCounts(judged, exact, half, strict_judged, strict_agreed, concordant, discordant, left_ties, right_ties)


def half_credit(left: Relations, right: Relations) -> float | None:
    """`relations_compare(left, right).rates()["half"]`, for the statistics' hottest loop."""
    shared = left.keys() & right.keys()
    if not shared:
        return None
    half = 0.0
    for pair in shared:
        a, b = left[pair], right[pair]
        if a == b:
            half += 1.0
        elif a == 0 or b == 0:
            half += 0.5
    return half / len(shared)


def pair_counts(left: Tiers, right: Tiers) -> PairCounts:
    return relations_compare(pair_relations(left), pair_relations(right))


@dataclass(frozen=True)
class ComparisonFigures:
    """The agreement of one comparison's rankings, taken over its pairs of annotators.

    `exact`, `strict`, `half` and `kendall_tau_b` are means of the annotator pairs' own figures,
    leaving out pairs where a figure is undefined: the comparison's figure on the review page and
    in exports. `pooled` adds the pairs' counts up instead, which is how project-wide figures
    combine comparisons.
    """

    exact: float | None
    strict: float | None
    half: float | None
    kendall_tau_b: float | None
    # Each pair of annotators (i, j), i < j, by position in the rankings.
    pairs: dict[tuple[int, int], PairCounts]
    # The pairs' τ-b where it is defined, in `pairs` order: the project's τ-b averages them all.
    taus: tuple[float, ...]

    @property
    def pooled(self) -> PairCounts:
        return PairCounts.total(self.pairs.values())

    def as_dict(self) -> dict[str, float | None]:
        """The figures of the native export row, in its key order."""
        return {"exact": self.exact, "strict": self.strict, "half": self.half, "kendall_tau_b": self.kendall_tau_b}


def comparison_figures(rankings: list[Tiers], *, relations: list[Relations] | None = None) -> ComparisonFigures | None:
    """The agreement figures of one comparison; None with fewer than two rankings.

    Pass `relations` (the rankings' `pair_relations`) when they are at hand already.
    """
    if len(rankings) < 2:
        return None
    if relations is None:
        relations = [pair_relations(tiers) for tiers in rankings]
    pairs = {(i, j): relations_compare(relations[i], relations[j]) for i, j in combinations(range(len(relations)), 2)}
    rates = [counts.rates() for counts in pairs.values()]
    taus = tuple(tau for counts in pairs.values() if (tau := counts.tau_b) is not None)
    return ComparisonFigures(
        exact=_mean(rate["exact"] for rate in rates),
        strict=_mean(rate["strict"] for rate in rates),
        half=_mean(rate["half"] for rate in rates),
        kendall_tau_b=_mean(taus),
        pairs=pairs,
        taus=taus,
    )


@dataclass(frozen=True)
class KendallW:
    """Tie-corrected W and its ingredients; `chi2` is Friedman's statistic m(n-1)W on n-1 df."""

    w: float
    candidates: list[int]
    annotators: int
    rank_sums: dict = field(default_factory=dict)
    s: float = 0.0
    tie_term: int = 0
    w_uncorrected: float = 0.0
    chi2: float = 0.0

    @property
    def p_value(self) -> float:
        """Friedman's test of no agreement: computed on demand, the statistics pages show only W."""
        return float(chi2_distribution.sf(self.chi2, len(self.candidates) - 1))


def kendall_w(rankings: list[Tiers]) -> KendallW | None:
    """Kendall's W with the tie correction, over the candidates every annotator saw (re-ranked
    within them). None with fewer than two annotators or two such candidates, or when every
    annotator tied them all."""
    if len(rankings) < 2:
        return None
    shared = sorted(set.intersection(*({candidate for tier in tiers for candidate in tier} for tiers in rankings)))
    m, n = len(rankings), len(shared)
    if n < 2:
        return None
    rank_sums = dict.fromkeys(shared, 0.0)
    tie_term = 0
    for tiers in rankings:
        # average_ranks over the tiers restricted to the shared candidates, inlined: it runs for every comparison.
        taken = 0
        for tier in tiers:
            within = [candidate for candidate in tier if candidate in rank_sums]
            if within:
                size = len(within)
                rank = taken + (size + 1) / 2
                for candidate in within:
                    rank_sums[candidate] += rank
                tie_term += size**3 - size
                taken += size
    mean = m * (n + 1) / 2
    s = sum((total - mean) ** 2 for total in rank_sums.values())
    denominator = m * m * (n**3 - n) - m * tie_term
    if denominator <= 0:
        return None
    w = 12 * s / denominator
    chi2 = m * (n - 1) * w
    return KendallW(
        w=w,
        candidates=shared,
        annotators=m,
        rank_sums=rank_sums,
        s=s,
        tie_term=tie_term,
        w_uncorrected=12 * s / (m * m * (n**3 - n)),
        chi2=chi2,
    )


VALUE_DOMAIN = (-1, 0, 1)


def pair_value_counts(rankings: list[Tiers], *, relations: list[Relations] | None = None) -> np.ndarray:
    """Krippendorff units of one comparison: each candidate pair in both orientations, valued by
    the pair relation (-1, 0, +1). Rows are units, columns count the annotators per value.

    Both orientations: one orientation alone makes alpha depend on the arbitrary order of the
    candidate ids, which skews the value marginals (see the test vector's conventions).
    Pass `relations` (the rankings' `pair_relations`) when they are at hand already.
    """
    if relations is None:
        relations = [pair_relations(tiers) for tiers in rankings]
    return np.array(pair_value_rows(relations), dtype=np.float64).reshape(-1, 3)


def pair_value_rows(relations: list[Relations]) -> list[list[int]]:
    """`pair_value_counts` as plain lists, from the rankings' `pair_relations`: a project's rows are
    stacked into one array at once, which numpy does far faster than row by row."""
    rows = []
    for pair in sorted(set().union(*(r.keys() for r in relations))):
        row = [0, 0, 0]
        for relation in relations:
            if (value := relation.get(pair)) is not None:
                row[value + 1] += 1
        rows.append(row)
        rows.append(row[::-1])
    return rows


def krippendorff_alpha(
    rankings: Iterable | None = None, *, value_counts: np.ndarray | None = None, level: str = "ordinal"
) -> float | None:
    """Krippendorff's alpha (ordinal by default, missing data allowed) over candidate-pair units.

    `rankings` is one comparison's rankings (a list of tiers each), or an iterable of several
    comparisons' rankings; or pass their stacked `pair_value_counts`. None when alpha is
    undefined (fewer than two pairable values, or no disagreement is possible).
    """
    if value_counts is None:
        comparisons = list(rankings or [])
        if comparisons and _is_ranking(comparisons[0]):
            comparisons = [comparisons]
        blocks = [pair_value_counts(group) for group in comparisons]
        value_counts = np.vstack(blocks) if blocks else np.zeros((0, 3))
    pairable = value_counts[value_counts.sum(axis=1) >= 2]
    if len(pairable) == 0 or np.count_nonzero(pairable.sum(axis=0)) < 2:
        return None
    alpha = _alpha_of_coincidences(_coincidences(pairable), level=level)
    return None if math.isnan(alpha) else float(alpha)


def _coincidences(value_counts: np.ndarray) -> np.ndarray:
    """The coincidence matrix, with the arithmetic of `krippendorff.alpha` (0.9.0) to the last bit, in
    one units × values × values array where the package builds five: at a project's 400,000 units
    those took 0.3 s, most of it the fresh memory's page faults."""
    counts = np.asarray(value_counts, dtype=np.float64)
    terms = counts[:, :, np.newaxis] * counts[:, np.newaxis, :]
    values = np.arange(counts.shape[1])
    terms[:, values, values] -= counts
    terms /= (np.maximum(counts.sum(axis=1), 2) - 1)[:, np.newaxis, np.newaxis]
    return terms.sum(axis=0)


def _alpha_of_coincidences(coincidences: np.ndarray, *, level: str) -> float:
    """The rest of `krippendorff.alpha`, from the coincidence matrix (its own helpers do the work)."""
    totals = coincidences.sum(axis=0)
    expected = _random_coincidences(totals)
    distances = _distances(np.asarray(VALUE_DOMAIN), _distance_metric(level), totals)
    return 1 - (coincidences * distances).sum() / (expected * distances).sum()


def _is_ranking(value) -> bool:
    """A ranking is a list of tiers of ids; a comparison's rankings nest one list deeper."""
    for tier in value:
        for candidate in tier:
            return not isinstance(candidate, list | tuple)
    return True


def _mean(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True)
class AlignedFigures:
    """Per comparison, what the project's statistics take from its annotator pairs, for comparisons
    whose rankings all judged the same candidates (`aligned_figures`)."""

    # PairCounts fields summed over the comparison's annotator pairs, one row per comparison.
    counts: np.ndarray
    # τ-b of every annotator pair where it is defined, and each comparison's Kendall W (nan: undefined).
    taus: np.ndarray
    ws: np.ndarray
    # Krippendorff units: each candidate pair in both orientations, annotators per value -1, 0, +1.
    value_counts: np.ndarray


def aligned_figures(values: np.ndarray, n: int) -> AlignedFigures:
    """Agreement figures of many comparisons at once: `values[g, i]` is the `i`-th annotator's
    `pair_relations` values (pairs in id order) of comparison `g`, all of `n` candidates.

    Row for row the same figures as `relations_compare` summed over annotator pairs, their `tau_b`,
    `kendall_w(...).w` and `pair_value_rows`, without a Python loop per comparison.
    """
    _, m, pairs = values.shape
    left_index, right_index = np.triu_indices(m, k=1)
    left, right = values[:, left_index, :], values[:, right_index, :]
    equal, left_tie, right_tie = left == right, left == 0, right == 0
    exact = equal.sum(axis=2)
    strict = (~left_tie & ~right_tie).sum(axis=2)
    agreed = (equal & ~left_tie).sum(axis=2)
    left_ties, right_ties = left_tie.sum(axis=2), right_tie.sum(axis=2)
    half = exact + 0.5 * ((~equal) & (left_tie | right_tie)).sum(axis=2)
    fields = [np.full_like(exact, pairs), exact, half, strict, agreed, agreed, strict - agreed, left_ties, right_ties]
    counts = np.stack([field.sum(axis=1) for field in fields], axis=1)
    denominator = (pairs - left_ties) * (pairs - right_ties)
    defined = denominator > 0
    taus = (2 * agreed - strict)[defined] / np.sqrt(denominator[defined])

    # Average rank of a candidate: 1 + the candidates above it + half those tied with it.
    first, second = np.array(list(combinations(range(n), 2)), dtype=np.intp).reshape(-1, 2).T
    as_first, as_second = np.zeros((pairs, n)), np.zeros((pairs, n))
    as_first[np.arange(pairs), first] = 1
    as_second[np.arange(pairs), second] = 1
    tied = (values == 0).astype(np.float64)
    ranks = 1 + (values == -1) @ as_first + (values == 1) @ as_second + 0.5 * tied @ (as_first + as_second)
    tie_size = 1 + tied @ (as_first + as_second)
    tie_term = (tie_size**2 - 1).sum(axis=(1, 2))
    spread = ((ranks.sum(axis=1) - m * (n + 1) / 2) ** 2).sum(axis=1)
    w_denominator = m * m * (n**3 - n) - m * tie_term
    with np.errstate(divide="ignore", invalid="ignore"):
        ws = np.where(w_denominator > 0, 12 * spread / w_denominator, np.nan)

    per_value = np.stack([(values == value).sum(axis=1) for value in VALUE_DOMAIN], axis=2).reshape(-1, 3)
    value_counts = np.concatenate([per_value, per_value[:, ::-1]])
    return AlignedFigures(counts=counts, taus=taus, ws=ws, value_counts=value_counts.astype(np.float64))
