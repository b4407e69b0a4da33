"""Per-trainer quality: agreement with the others, gold accuracy, speed, habits, and flags
with reasons. Pure: plain records in, plain figures out.

A trainer's agreement on a comparison is half-credit pairwise agreement with the reference:
the lead's adjudication (or gold truth) where there is one, otherwise the ranked-pairs
consensus of the *other* trainers' rankings (leave-one-out, so a trainer never agrees with
themselves). Flags need a minimum number of comparisons and a one-sided bound beyond the
threshold, so an honest trainer with a few unlucky comparisons is not flagged.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import combinations

from scipy.stats import binomtest

from rankings.agreement import Relations, half_credit, pair_relations
from rankings.consensus import ranked_pairs_of_wins
from ranklab.intervals import paired_difference_interval

Tiers = list[list[int]]


@dataclass(frozen=True)
class RankingRecord:
    """One submitted ranking, as the statistics need it."""

    trainer: int
    comparison: int
    tiers: Tiers
    display_order: list[int] = field(default_factory=list)
    duration_ms: int = 0
    flagged: bool = False
    matches_display_order: bool = False
    # Candidate id → length in characters; empty when unknown.
    lengths: Mapping[int, int] = field(default_factory=dict)
    # How many flags the trainer raised on it (any counts as flagged).
    flags: int = 0
    # A skipped assignment: counted in the skip rate, not ranked (its tiers are ignored).
    skipped: bool = False
    # The true tiers when the comparison is gold.
    gold_tiers: Tiers | None = None

    # Agreement, quality, length bias and the arena all need these: each is derived once per ranking.
    # The candidates ranked, in id order.
    candidates: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # The relations' values alone, pairs in id order: what the array computations take.
    relation_values: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # (pairs the longer candidate won, non-tied pairs of different length); (0, 0) without lengths.
    longer_wins: tuple[int, int] = field(init=False, repr=False, compare=False)
    # Per pair, in `relation_values` order: +1 if the first candidate is the longer, -1 if the second, 0 if
    # neither (or lengths unknown). A relation times its sign is positive where the longer one won.
    length_signs: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # It runs for every ranking: what follows from the order alone comes from small caches, since a
        # few hundred patterns of tiers and lengths cover a project.
        position = {candidate: index for index, tier in enumerate(self.tiers) for candidate in tier}
        ordered = tuple(sorted(position))
        values = _relation_values(tuple(map(position.__getitem__, ordered)))
        signs, longer = (0,) * len(values), (0, 0)
        if lengths := self.lengths:
            signs = _length_signs(tuple(map(lengths.get, ordered)))
            longer = _longer_wins(values, signs)
        object.__setattr__(self, "candidates", ordered)
        object.__setattr__(self, "relation_values", values)
        object.__setattr__(self, "longer_wins", longer)
        object.__setattr__(self, "length_signs", signs)

    @cached_property
    def relations(self) -> Relations:
        """`pair_relations` of the tiers; most rankings are judged from `relation_values` alone."""
        return dict(zip(combinations(self.candidates, 2), self.relation_values, strict=True))


@lru_cache(maxsize=16)
def _index_pairs(n: int) -> list[tuple[int, int]]:
    return list(combinations(range(n), 2))


@lru_cache(maxsize=65536)
def _length_signs(sizes: tuple[int | None, ...]) -> tuple[int, ...]:
    """`RankingRecord.length_signs` of candidates of these lengths (None: unknown)."""
    return tuple(
        0 if sizes[i] is None or sizes[j] is None else (sizes[i] > sizes[j]) - (sizes[i] < sizes[j])
        for i, j in _index_pairs(len(sizes))
    )


@lru_cache(maxsize=65536)
def _longer_wins(values: tuple[int, ...], signs: tuple[int, ...]) -> tuple[int, int]:
    """`RankingRecord.longer_wins` from the relation values and the length signs of the same pairs."""
    decided = [value * sign for value, sign in zip(values, signs, strict=True) if value and sign]
    return sum(product > 0 for product in decided), len(decided)


@lru_cache(maxsize=65536)
def _relation_values(tier_of: tuple[int, ...]) -> tuple[int, ...]:
    """`pair_relations` values of candidates 0..n-1 in the given tiers: a few hundred patterns cover a project."""
    return tuple((tier_of[i] < tier_of[j]) - (tier_of[i] > tier_of[j]) for i, j in _index_pairs(len(tier_of)))


@dataclass(frozen=True)
class Thresholds:
    """When a trainer is flagged. Every test is one-sided at `z` and needs `min_comparisons`."""

    min_comparisons: int = 20
    z: float = 1.645  # one-sided 95%
    # Per-comparison scores are correlated within a comparison; this floor on their standard
    # deviation keeps a short, uniform run from looking more certain than it is.
    min_sd: float = 0.1
    agreement_floor: float = 0.65
    min_gold: int = 5
    gold_floor: float = 0.6
    # Chance of submitting exactly the displayed order is 1/K!; the floor keeps K = 9 (1/362880)
    # from turning two coincidences into a flag.
    display_order_chance_floor: float = 0.05
    display_order_p: float = 0.001
    # Length preference (how much more often the trainer picks the longer answer than the consensus
    # does) whose interval lies wholly above this bar; a project setting.
    length_preference_bar: float = 0.10
    # Agreement is also judged against the project's typical careful level (the upper-quartile
    # trainer's, which stays put while up to 3 in 4 trainers are careless) less this margin; the
    # lower of that and `agreement_floor` is the bar, so a hard task where every careful trainer
    # agrees less does not flag them all.
    agreement_margin: float = 0.1
    # Winner shown first: one-sided binomial against 1/K. Strict, because it is tested for every
    # trainer at every refresh.
    chose_first_p: float = 0.0001


@dataclass(frozen=True)
class MeanBound:
    """Mean of per-comparison scores with a one-sided bound either way."""

    mean: float
    n: int
    lower: float
    upper: float

    @classmethod
    def of(cls, values: list[float], *, thresholds: Thresholds) -> "MeanBound | None":
        if not values:
            return None
        mean = sum(values) / len(values)
        # Not statistics.pstdev: its exact arithmetic is slow on a whole project's scores.
        spread = math.fsum((value - mean) ** 2 for value in values) / len(values)
        sd = max(math.sqrt(spread), thresholds.min_sd)
        margin = thresholds.z * sd / math.sqrt(len(values))
        return cls(mean=mean, n=len(values), lower=mean - margin, upper=mean + margin)


@dataclass(frozen=True)
class LengthPreference:
    """A trainer's choices on the pairs of different length that they and the reference both decided.

    `score` is how much more often the trainer picked the longer answer than the reference (the
    leave-one-out consensus, or the lead's ruling) did on the same pairs: p(trainer) − p(reference),
    with Newcombe's interval for paired shares.
    """

    both_longer: int
    only_trainer_longer: int
    only_reference_longer: int
    both_shorter: int

    @property
    def pairs(self) -> int:
        return self.both_longer + self.only_trainer_longer + self.only_reference_longer + self.both_shorter

    @property
    def score(self) -> float | None:
        return (self.only_trainer_longer - self.only_reference_longer) / self.pairs if self.pairs else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return paired_difference_interval(
            self.both_longer, self.only_trainer_longer, self.only_reference_longer, self.both_shorter
        )

    def as_dict(self) -> dict:
        pairs = self.pairs
        return {
            "score": self.score,
            "ci": list(interval) if (interval := self.interval) else None,
            "pairs": pairs,
            "trainer_share": (self.both_longer + self.only_trainer_longer) / pairs if pairs else None,
            "reference_share": (self.both_longer + self.only_reference_longer) / pairs if pairs else None,
        }


@dataclass
class TrainerQuality:
    trainer: int
    rankings: int = 0
    skips: int = 0
    agreement: MeanBound | None = None
    gold: MeanBound | None = None
    median_seconds: float | None = None
    flag_rate: float | None = None
    chose_first: int = 0
    # Rankings with a single winner and a known display order, and the mean 1/K over them.
    chose_first_n: int = 0
    chose_first_chance: float | None = None
    chose_first_p: float | None = None
    kept_order: int = 0
    kept_order_chance: float | None = None
    kept_order_p: float | None = None
    longer_wins: MeanBound | None = None
    length_preference: LengthPreference | None = None
    # Comparisons behind `length_preference`.
    length_comparisons: int = 0
    # The agreement bar this trainer was held to.
    agreement_reference: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def chose_first_rate(self) -> float | None:
        return self.chose_first / self.chose_first_n if self.chose_first_n else None

    @property
    def skip_rate(self) -> float | None:
        seen = self.rankings + self.skips
        return self.skips / seen if seen else None

    @property
    def kept_order_rate(self) -> float | None:
        return self.kept_order / self.rankings if self.rankings else None

    @property
    def score(self) -> float | None:
        """The one number to sort trainers by: agreement with the leave-one-out consensus."""
        return self.agreement.mean if self.agreement else None

    def as_dict(self) -> dict:
        def bound(value: MeanBound | None) -> dict | None:
            return value and {"mean": value.mean, "n": value.n, "lower": value.lower, "upper": value.upper}

        return {
            "trainer": self.trainer,
            "rankings": self.rankings,
            "skips": self.skips,
            "skip_rate": self.skip_rate,
            "agreement": bound(self.agreement),
            "gold": bound(self.gold),
            "median_seconds": self.median_seconds,
            "flag_rate": self.flag_rate,
            "chose_first_rate": self.chose_first_rate,
            "chose_first": self.chose_first,
            "chose_first_n": self.chose_first_n,
            "chose_first_chance": self.chose_first_chance,
            "chose_first_p": self.chose_first_p,
            "kept_order": self.kept_order,
            "kept_order_rate": self.kept_order_rate,
            "kept_order_chance": self.kept_order_chance,
            "kept_order_p": self.kept_order_p,
            "longer_wins": bound(self.longer_wins),
            "length_preference": self.length_preference and self.length_preference.as_dict(),
            "agreement_reference": self.agreement_reference,
            "reasons": self.reasons,
        }


def trainer_quality(
    records: Iterable[RankingRecord],
    *,
    references: Mapping[int, Tiers] | None = None,
    gold: Mapping[int, Tiers] | None = None,
    skips: Mapping[int, int] | None = None,
    thresholds: Thresholds | None = None,
) -> dict[int, TrainerQuality]:
    """Quality figures and flags for every trainer in `records` (and every trainer with skips).

    `references`: comparison → the lead's adjudicated tiers, which replace the leave-one-out
    consensus. `gold`: comparison → the true tiers of gold comparisons. `skips`: trainer → skips.
    """
    thresholds = thresholds or Thresholds()
    references, gold, skips = references or {}, dict(gold or {}), dict(skips or {})
    by_comparison: dict[int, list[RankingRecord]] = defaultdict(list)
    for record in records:
        if record.gold_tiers:
            gold.setdefault(record.comparison, record.gold_tiers)
        if record.skipped:
            skips[record.trainer] = skips.get(record.trainer, 0) + 1
        else:
            by_comparison[record.comparison].append(record)

    agreement: dict[int, list[float]] = defaultdict(list)
    gold_scores: dict[int, list[float]] = defaultdict(list)
    longer: dict[int, list[float]] = defaultdict(list)
    # Trainer → per comparison that has any: (both picked the longer, only the trainer did, only the
    # reference did, neither).
    length_choices: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    mine: dict[int, list[RankingRecord]] = defaultdict(list)
    for comparison, group in by_comparison.items():
        fixed = references.get(comparison) or gold.get(comparison)
        fixed_relations = pair_relations(fixed) if fixed else None
        truth = pair_relations(gold[comparison]) if comparison in gold else None
        candidates = group[0].candidates
        aligned = len(candidates) > 1 and all(record.candidates == candidates for record in group)
        if aligned and len(group) > 1:
            # The usual case, every trainer saw the same candidates: the values alone decide.
            others = _leave_one_out_values(len(candidates), tuple(record.relation_values for record in group))
        for index, record in enumerate(group):
            mine[record.trainer].append(record)
            # The reference's relation values in this record's pair order (0 where it has none).
            reference_values = None
            if fixed_relations is not None:
                if (score := half_credit(record.relations, fixed_relations)) is not None:
                    agreement[record.trainer].append(score)
                reference_values = tuple(fixed_relations.get(pair, 0) for pair in record.relations)
            elif aligned and len(group) > 1:
                reference_values = others[index]
                agreement[record.trainer].append(_half_credit_values(record.relation_values, reference_values))
            elif len(group) > 1:
                reference = _leave_one_out(group, index)
                if (score := half_credit(record.relations, reference)) is not None:
                    agreement[record.trainer].append(score)
                reference_values = tuple(reference.get(pair, 0) for pair in record.relations)
            if reference_values is not None and record.lengths:
                choices = _length_choices(record.relation_values, reference_values, record.length_signs)
                if any(choices):
                    length_choices[record.trainer].append(choices)
            if truth is not None and (score := half_credit(record.relations, truth)) is not None:
                gold_scores[record.trainer].append(score)
            if record.lengths:
                won, pairs = record.longer_wins
                if pairs:
                    longer[record.trainer].append(won / pairs)

    results = {}
    for trainer in mine.keys() | skips.keys():
        own = mine.get(trainer, [])
        quality = TrainerQuality(trainer=trainer, rankings=len(own), skips=skips.get(trainer, 0))
        quality.agreement = MeanBound.of(agreement.get(trainer, []), thresholds=thresholds)
        quality.gold = MeanBound.of(gold_scores.get(trainer, []), thresholds=thresholds)
        quality.longer_wins = MeanBound.of(longer.get(trainer, []), thresholds=thresholds)
        if choices := length_choices.get(trainer):
            quality.length_preference = LengthPreference(*(sum(column) for column in zip(*choices, strict=True)))
            quality.length_comparisons = len(choices)
        if own:
            _habits(quality, own)
        results[trainer] = quality
    for trainer, reasons in flag_trainers(results, thresholds=thresholds).items():
        results[trainer].reasons = reasons
    return results


def _habits(quality: TrainerQuality, own: list[RankingRecord]) -> None:
    """The trainer's speed, flag rate and display-order habits, from their rankings in one pass (six
    passes over a project's 100,000 rankings took a fifth of a second). Each share is summed in the
    rankings' order, as before."""
    durations, flagged, kept, chose_first = [], 0, 0, 0
    # Chance of the winner shown first, over rankings with a single winner; of the order kept, over all.
    first_chances, order_chances = [], []
    for record in own:
        durations.append(record.duration_ms)
        flagged += record.flagged or record.flags > 0
        kept += record.matches_display_order
        if shown := record.display_order:
            order_chances.append(_kept_order_chance(len(shown)))
            if (tiers := record.tiers) and len(winners := tiers[0]) == 1:
                first_chances.append(1 / len(shown))
                chose_first += shown[0] == winners[0]
    quality.median_seconds = statistics.median(durations) / 1000
    quality.flag_rate = flagged / len(own)
    quality.kept_order = kept
    quality.chose_first = chose_first
    quality.chose_first_n = len(first_chances)
    if first_chances:
        quality.chose_first_chance = sum(first_chances) / len(first_chances)
    if order_chances:
        quality.kept_order_chance = sum(order_chances) / len(order_chances)


@lru_cache(maxsize=16)
def _kept_order_chance(shown: int) -> float:
    return 1 / math.factorial(shown)


@lru_cache(maxsize=65536)
def _half_credit_values(own: tuple[int, ...], reference: tuple[int, ...]) -> float:
    """`half_credit` of relation values over the same pairs (at least one)."""
    return sum(1.0 if a == b else 0.5 if a == 0 or b == 0 else 0.0 for a, b in zip(own, reference, strict=True)) / len(
        own
    )


@lru_cache(maxsize=65536)
def _length_choices(own: tuple[int, ...], reference: tuple[int, ...], signs: tuple[int, ...]) -> tuple[int, ...]:
    """The pairs of different length that both decided, counted as `trainer_quality`'s `length_choices`."""
    counts = [0, 0, 0, 0]
    for mine, theirs, sign in zip(own, reference, signs, strict=True):
        if mine and theirs and sign:
            counts[(mine * sign < 0) * 2 + (theirs * sign < 0)] += 1
    return tuple(counts)


@lru_cache(maxsize=65536)
def _leave_one_out_values(n: int, group: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
    """`_leave_one_out` of each of a group's rankings of the same `n` candidates, as relation values: a
    few thousand such groups cover a project."""
    if len(group) == 2:
        return group[1], group[0]
    return tuple(
        _consensus_values(n, tuple(sorted(values for position, values in enumerate(group) if position != index)))
        for index in range(len(group))
    )


def _leave_one_out(group: list[RankingRecord], index: int) -> Relations:
    """The pair relations of the ranked-pairs consensus of the group's rankings but the `index`-th."""
    others = [record for position, record in enumerate(group) if position != index]
    if len(others) == 1:
        # One ranking is its own consensus.
        return others[0].relations
    pairs = others[0].relations.keys()
    if pairs and all(record.relations.keys() == pairs for record in others):
        # The usual case, every other trainer saw the same candidates: their relations list the
        # same pairs in the same order, and the values alone decide the consensus.
        n = (1 + math.isqrt(1 + 8 * len(pairs))) // 2
        values = sorted(tuple(record.relations.values()) for record in others)
        return dict(zip(pairs, _consensus_values(n, tuple(values)), strict=True))
    candidates = sorted({candidate for record in others for tier in record.tiers for candidate in tier})
    wins: dict[tuple[int, int], int] = defaultdict(int)
    for record in others:
        for (a, b), relation in record.relations.items():
            if relation > 0:
                wins[(a, b)] += 1
            elif relation < 0:
                wins[(b, a)] += 1
    return pair_relations(ranked_pairs_of_wins(candidates, wins))


@lru_cache(maxsize=65536)
def _consensus_values(n: int, rankings: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    """Ranked pairs of candidates 0..n-1 from each ranking's relation values (pairs in id order).

    The consensus depends only on the candidates' order (its tie-break is by id), so a few
    thousand such patterns cover a whole project.
    """
    pairs = list(combinations(range(n), 2))
    wins: dict[tuple[int, int], int] = defaultdict(int)
    for values in rankings:
        for (a, b), relation in zip(pairs, values, strict=True):
            if relation > 0:
                wins[(a, b)] += 1
            elif relation < 0:
                wins[(b, a)] += 1
    return tuple(pair_relations(ranked_pairs_of_wins(list(range(n)), wins)).values())


def flag_trainers(
    scores: Mapping[int, TrainerQuality], k: int | None = None, *, thresholds: Thresholds | None = None
) -> dict[int, list[str]]:
    """Trainer → reasons, for the trainers with any, from `trainer_quality`'s scores.

    `k` (candidates per comparison) overrides the chance rates taken from the display orders.
    Each test needs a minimum count and is one-sided; the agreement, gold and length bounds are
    the ones `trainer_quality` computed (with its thresholds' z).
    """
    thresholds = thresholds or Thresholds()
    means = sorted(
        q.agreement.mean for q in scores.values() if q.agreement and q.agreement.n >= thresholds.min_comparisons
    )
    typical = statistics.quantiles(means, n=4, method="inclusive")[2] if len(means) >= 3 else None
    flagged = {}
    for trainer, quality in scores.items():
        reference = thresholds.agreement_floor
        if typical is not None:
            reference = min(reference, typical - thresholds.agreement_margin)
        quality.agreement_reference = reference
        if reasons := _reasons(quality, k=k, thresholds=thresholds):
            flagged[trainer] = reasons
    return flagged


def _reasons(quality: TrainerQuality, *, k: int | None, thresholds: Thresholds) -> list[str]:
    reasons = []
    enough = quality.rankings >= thresholds.min_comparisons
    agreement = quality.agreement
    if (
        enough
        and agreement
        and agreement.n >= thresholds.min_comparisons
        and agreement.upper < quality.agreement_reference
    ):
        reasons.append(
            f"Low agreement: {agreement.mean:.0%} with the other trainers' consensus over {agreement.n} "
            f"comparisons (at most {agreement.upper:.0%}), below {quality.agreement_reference:.0%}."
        )
    gold = quality.gold
    if gold and gold.n >= thresholds.min_gold and gold.upper < thresholds.gold_floor:
        reasons.append(
            f"Low gold accuracy: {gold.mean:.0%} over {gold.n} gold comparisons "
            f"(at most {gold.upper:.0%}), below {thresholds.gold_floor:.0%}."
        )
    if quality.chose_first_n >= thresholds.min_comparisons and (k or quality.chose_first_chance):
        chance = 1 / k if k else quality.chose_first_chance
        p = binomtest(quality.chose_first, quality.chose_first_n, chance, alternative="greater").pvalue
        quality.chose_first_p = float(p)
        if p < thresholds.chose_first_p:
            reasons.append(
                f"Picks the answer shown first: {quality.chose_first} of {quality.chose_first_n} winners were "
                f"displayed first, where chance is {chance:.0%} (p = {p:.1g})."
            )
    if enough and (k or quality.kept_order_chance is not None):
        chance = 1 / math.factorial(k) if k else quality.kept_order_chance
        chance = max(chance, thresholds.display_order_chance_floor)
        p = binomtest(quality.kept_order, quality.rankings, chance, alternative="greater").pvalue
        quality.kept_order_p = float(p)
        if p < thresholds.display_order_p:
            reasons.append(
                f"Keeps the displayed order: {quality.kept_order} of {quality.rankings} rankings submitted "
                f"exactly as shown, where chance is at most {chance:.0%} (p = {p:.1g})."
            )
    preference = quality.length_preference
    if (
        preference
        and quality.length_comparisons >= thresholds.min_comparisons
        and (interval := preference.interval)
        and interval[0] > thresholds.length_preference_bar
    ):
        shares = preference.as_dict()
        reasons.append(
            f"Prefers longer answers: picked the longer answer in {shares['trainer_share']:.0%} of "
            f"{preference.pairs} pairs where the consensus did in {shares['reference_share']:.0%}, "
            f"{preference.score * 100:+.0f} points (95% CI {interval[0] * 100:+.0f} to {interval[1] * 100:+.0f}), "
            f"above the bar of {thresholds.length_preference_bar * 100:+.0f}."
        )
    return reasons
