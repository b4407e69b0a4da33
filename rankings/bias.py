"""Position and length bias in rankings. Pure: plain records in, shares with intervals out.

Position bias: a fair trainer's winner is shown first 1/K of the time. Length bias: among
non-tied pairs of candidates of different length, how often the longer one won (ChatGPT's
authors traced its verbosity to trainers preferring longer answers).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scipy.stats import binomtest

from rankings.agreement import Relations, strict_pairs
from ranklab.intervals import wilson_interval

Tiers = list[list[int]]


@dataclass(frozen=True)
class Share:
    """`successes` of `n`, its 95% Wilson interval, the rate expected by chance, and the
    two-sided binomial p-value against it."""

    successes: int
    n: int
    expected: float

    @property
    def share(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.n)

    @property
    def p_value(self) -> float | None:
        if not self.n:
            return None
        return float(binomtest(self.successes, self.n, self.expected).pvalue)

    def as_dict(self) -> dict:
        return {
            "successes": self.successes,
            "n": self.n,
            "share": self.share,
            "ci": list(self.interval) if self.n else None,
            "expected": self.expected,
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class PositionBias:
    first: Share
    # Winners by the position they were displayed at (0 = first), each against 1/K.
    by_position: list[Share]


def winner_position(tiers: Tiers, display_order: list[int]) -> int | None:
    """Where the single winner was displayed (0 = first); None for a tie at the top or an unknown order."""
    if not tiers or len(tiers[0]) != 1 or tiers[0][0] not in display_order:
        return None
    return display_order.index(tiers[0][0])


def position_bias(records: Iterable[tuple[list[int], Tiers]]) -> PositionBias:
    """From (display_order, tiers) records: how often the single winner was the candidate shown first.

    Rankings with a tie at the top say nothing about one winner and are left out. The chance
    rate is the mean of 1/K over the counted rankings. (tiers, display_order) records are
    accepted too: the tiers are the element whose items are lists.
    """
    counts: dict[int, int] = defaultdict(int)
    n, chance, widest = 0, 0.0, 0
    for first, second in records:
        display_order, tiers = (second, first) if _is_tiers(first) else (first, second)
        position = winner_position(tiers, display_order)
        if position is None:
            continue
        counts[position] += 1
        n += 1
        chance += 1 / len(display_order)
        widest = max(widest, len(display_order))
    expected = chance / n if n else 0.0
    by_position = [Share(counts[position], n, expected) for position in range(widest)]
    return PositionBias(first=Share(counts[0], n, expected), by_position=by_position)


def _is_tiers(value: list) -> bool:
    return bool(value) and all(isinstance(item, list | tuple) for item in value)


def longer_wins(tiers: Tiers, lengths: Mapping[int, int], *, relations: Relations | None = None) -> tuple[int, int]:
    """(pairs the longer candidate won, non-tied pairs of candidates of different length).

    Pass `relations` (the tiers' `pair_relations`) when they are at hand already.
    """
    if relations is not None:
        won = pairs = 0
        for (a, b), relation in relations.items():
            if relation and lengths[a] != lengths[b]:
                pairs += 1
                won += (lengths[a] > lengths[b]) == (relation > 0)
        return won, pairs
    won = pairs = 0
    for winner, loser, _ in strict_pairs(tiers):
        if lengths[winner] != lengths[loser]:
            pairs += 1
            won += lengths[winner] > lengths[loser]
    return won, pairs


def length_bias(records: Iterable[tuple[Tiers, Mapping[int, int]]]) -> Share:
    """From (tiers, candidate lengths) records: the share of non-tied pairs the longer candidate won, against 1/2."""
    won = pairs = 0
    for tiers, lengths in records:
        w, p = longer_wins(tiers, lengths)
        won, pairs = won + w, pairs + p
    return Share(won, pairs, 0.5)
