"""Biases in a set of rankings. Pure: plain records in, shares with confidence intervals out."""

import math

Tiers = list[list]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default)."""
    if n == 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - spread), min(1.0, centre + spread))


def _share(successes: int, n: int, **extra) -> dict:
    return {"share": successes / n if n else None, "n": n, "ci95": wilson_interval(successes, n), **extra}


def position_bias(records: list[tuple[list, Tiers]]) -> dict:
    """Of the rankings with a single winner, the share whose winner was displayed first, against 1/K."""
    firsts = n = 0
    chance = 0.0
    for display_order, tiers in records:
        if not tiers or len(tiers[0]) != 1 or not display_order:
            continue
        n += 1
        firsts += tiers[0][0] == display_order[0]
        chance += 1 / len(display_order)
    return _share(firsts, n, chance=chance / n if n else None)


def longer_won(tiers: Tiers, lengths: dict) -> tuple[int, int]:
    """(pairs the longer candidate won, non-tied pairs of different lengths) in one ranking."""
    position = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
    won = total = 0
    candidates = sorted(position, key=str)
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            if position[a] == position[b] or lengths.get(a) == lengths.get(b):
                continue
            total += 1
            winner = a if position[a] < position[b] else b
            loser = b if winner == a else a
            won += lengths[winner] > lengths[loser]
    return won, total


def length_bias(records: list[tuple[Tiers, dict]]) -> dict:
    """The share of non-tied pairs where the longer candidate won (0.5 is no bias)."""
    won = total = 0
    for tiers, lengths in records:
        w, t = longer_won(tiers, lengths)
        won, total = won + w, total + t
    return _share(won, total)
