"""How far the AI judge agrees with people. Pure: plain records in, figures out (docs/statistics.md).

Each judged comparison that people ranked is compared over the candidate pairs both rankings
hold, each pair (a, b), a < b, taking one of three values: a preferred, a tie, b preferred.

- pairwise agreement: the share of those pairs where the judge and the human consensus agree,
  with its Wilson interval;
- Kendall's τ-b per comparison between the judge and the consensus (undefined, and left out,
  where either ties every candidate), averaged over comparisons;
- Cohen's κ over the pooled pairs, the classes being the three values (two where no one tied);
- intervals of τ-b and κ: the 2.5th and 97.5th percentiles of a bootstrap over comparisons;
- position-swap consistency: the share of judged comparisons (and of their pairs) that the two
  runs, in opposite orders, ranked alike;
- length bias: of the non-tied pairs of candidates of different lengths, the share where the
  longer was preferred, by the judge and by the consensus, over the same comparisons.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rankings.agreement import pair_relations
from rankings.bias import Share, longer_wins
from ranklab.intervals import wilson_interval

Tiers = list[list[int]]

RESAMPLES = 1000
# The three values of a pair, in the order of the confusion matrix's rows and columns.
_VALUES = (1, 0, -1)


@dataclass(frozen=True)
class JudgedComparison:
    """One comparison the judge ranked: its ranking, the people's consensus (None if no one ranked
    it yet), the candidates' lengths, and how its pairs fared when the order was reversed."""

    comparison: int
    judge: Tiers
    human: Tiers | None
    lengths: Mapping[int, int]
    swap_consistent: bool
    pairs_consistent: int
    pairs_swapped: int


@dataclass(frozen=True)
class PairAgreement:
    """The judge against the consensus on one comparison's shared pairs."""

    agree: int
    pairs: int
    tau_b: float | None
    confusion: np.ndarray  # 3 × 3: judge's value (row) against the consensus's (column), in _VALUES order

    @property
    def share(self) -> float | None:
        return self.agree / self.pairs if self.pairs else None


def pair_agreement(judge: Tiers, human: Tiers) -> PairAgreement:
    """Agreement over the pairs of the candidates both rankings hold; τ-b as scipy's kendalltau computes it."""
    shared = {c for tier in judge for c in tier} & {c for tier in human for c in tier}
    mine = pair_relations([[c for c in tier if c in shared] for tier in judge])
    theirs = pair_relations([[c for c in tier if c in shared] for tier in human])
    confusion = np.zeros((3, 3), dtype=np.int64)
    concordance = untied_judge = untied_human = 0
    for pair, value in mine.items():
        other = theirs[pair]
        confusion[_VALUES.index(value), _VALUES.index(other)] += 1
        concordance += value * other
        untied_judge += value != 0
        untied_human += other != 0
    tau = concordance / math.sqrt(untied_judge * untied_human) if untied_judge and untied_human else None
    return PairAgreement(agree=int(np.trace(confusion)), pairs=len(mine), tau_b=tau, confusion=confusion)


def cohen_kappa(confusion: np.ndarray) -> float | None:
    """Cohen's κ of a confusion matrix; None without pairs or where chance agreement is certain."""
    total = confusion.sum()
    if not total:
        return None
    observed = np.trace(confusion) / total
    expected = float((confusion.sum(axis=1) * confusion.sum(axis=0)).sum()) / total**2
    return None if expected >= 1 else float((observed - expected) / (1 - expected))


def judge_agreement(records: list[JudgedComparison], *, resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """The judge's figures (see the module's docstring) as JSON-ready data."""
    compared = [(record, pair_agreement(record.judge, record.human)) for record in records if record.human]
    compared = [(record, figures) for record, figures in compared if figures.pairs]
    agree = sum(figures.agree for _, figures in compared)
    pairs = sum(figures.pairs for _, figures in compared)
    confusions = np.array([figures.confusion.ravel() for _, figures in compared], dtype=np.float64).reshape(-1, 9)
    taus = np.array([np.nan if f.tau_b is None else f.tau_b for _, f in compared], dtype=np.float64)
    pooled = confusions.sum(axis=0).reshape(3, 3)
    kappa = cohen_kappa(pooled)
    tau = float(np.nanmean(taus)) if np.any(~np.isnan(taus)) else None
    tau_ci, kappa_ci = _bootstrap(confusions, taus, resamples=resamples, seed=seed)
    judge_length = human_length = (0, 0)
    for record, _ in compared:
        judge_length = _add(judge_length, longer_wins(record.judge, record.lengths))
        human_length = _add(human_length, longer_wins(record.human, record.lengths))
    return {
        "judged": len(records),
        "compared": len(compared),
        "pairs": {"agree": agree, "n": pairs, "share": agree / pairs if pairs else None, "ci": _ci(agree, pairs)},
        "tau_b": {"mean": tau, "ci": tau_ci, "comparisons": int(np.sum(~np.isnan(taus)))},
        "kappa": {
            "value": kappa,
            "ci": kappa_ci,
            "classes": int(np.count_nonzero(pooled.sum(axis=0) + pooled.sum(axis=1))),
        },
        "swap": {
            "comparisons": _share(sum(record.swap_consistent for record in records), len(records)),
            "pairs": _share(
                sum(record.pairs_consistent for record in records), sum(record.pairs_swapped for record in records)
            ),
        },
        "length": {"judge": Share(*judge_length, 0.5).as_dict(), "human": Share(*human_length, 0.5).as_dict()},
    }


def disagreements(records: list[JudgedComparison], *, limit: int) -> list[dict]:
    """The comparisons where the judge agrees least with the consensus: lowest share of shared pairs first."""
    rows = []
    for record in records:
        if record.human:
            figures = pair_agreement(record.judge, record.human)
            if figures.pairs:
                rows.append({"comparison": record.comparison, "agreement": figures.share, "tau_b": figures.tau_b})
    rows.sort(key=lambda row: (row["agreement"], row["tau_b"] if row["tau_b"] is not None else 0, row["comparison"]))
    return rows[:limit]


def _bootstrap(
    confusions: np.ndarray, taus: np.ndarray, *, resamples: int, seed: int
) -> tuple[list[float] | None, list[float] | None]:
    """Percentile intervals of mean τ-b and pooled κ, resampling comparisons with replacement."""
    n = len(confusions)
    if n < 2 or resamples < 1:
        return None, None
    rng = np.random.default_rng(seed)
    valid = ~np.isnan(taus)
    tau_values = np.where(valid, taus, 0.0)
    tau_draws, kappa_draws = [], []
    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        counted = weights @ valid
        if counted:
            tau_draws.append(float(weights @ tau_values / counted))
        kappa = cohen_kappa((weights @ confusions).reshape(3, 3))
        if kappa is not None:
            kappa_draws.append(kappa)
    return _percentiles(tau_draws), _percentiles(kappa_draws)


def _percentiles(draws: list[float]) -> list[float] | None:
    if not draws:
        return None
    low, high = np.percentile(draws, [2.5, 97.5])
    return [float(low), float(high)]


def _ci(successes: int, n: int) -> list[float] | None:
    interval = wilson_interval(successes, n)
    return list(interval) if interval else None


def _share(successes: int, n: int) -> dict:
    return {"successes": successes, "n": n, "share": successes / n if n else None, "ci": _ci(successes, n)}


def _add(total: tuple[int, int], more: tuple[int, int]) -> tuple[int, int]:
    return total[0] + more[0], total[1] + more[1]
