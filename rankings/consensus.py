"""Consensus of several rankings of one comparison. Pure: tiers in, tiers out."""

from collections import defaultdict
from itertools import combinations

Tiers = list[list[int]]


def ranked_pairs(rankings: list[Tiers]) -> Tiers:
    """Tideman's ranked pairs: lock majorities by margin, then winning votes, then candidate
    index, skipping any that would make a cycle. Candidates no locked majority separates share
    a tier."""
    candidates = sorted({candidate for tiers in rankings for tier in tiers for candidate in tier})
    if len(rankings) == 1:
        return [list(tier) for tier in rankings[0]]
    wins: dict[tuple[int, int], int] = defaultdict(int)
    for tiers in rankings:
        position = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
        for a, b in combinations(sorted(position), 2):
            if position[a] < position[b]:
                wins[(a, b)] += 1
            elif position[b] < position[a]:
                wins[(b, a)] += 1
    majorities = [
        (wins[(a, b)] - wins[(b, a)], wins[(a, b)], a, b)
        for a in candidates
        for b in candidates
        if a != b and wins[(a, b)] > wins[(b, a)]
    ]
    majorities.sort(key=lambda m: (-m[0], -m[1], m[2], m[3]))
    beats: dict[int, set[int]] = defaultdict(set)
    for _, _, winner, loser in majorities:
        if not _reaches(beats, loser, winner):
            beats[winner].add(loser)
    return _layers(candidates, beats)


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


def ranked_pairs_order(rankings: list[Tiers]) -> list:
    """The ranked-pairs consensus as one strict order: unseparated candidates by candidate index."""
    return [candidate for tier in ranked_pairs(rankings) for candidate in tier]


def borda(rankings: list[Tiers]) -> dict:
    """Per annotator, each candidate scores the number it beats plus half the number it ties; summed."""
    points: dict = defaultdict(float)
    for tiers in rankings:
        seen = sum(len(tier) for tier in tiers)
        position = 1
        for tier in tiers:
            for candidate in tier:
                points[candidate] += seen - (position + (len(tier) - 1) / 2)
            position += len(tier)
    return dict(points)


def strict_comparisons(rankings: list[Tiers], index: dict) -> list[tuple[int, int]]:
    """(winner, loser) item indexes of every strict preference in every ranking; ties dropped."""
    data = []
    for tiers in rankings:
        position = {candidate: rank for rank, tier in enumerate(tiers) for candidate in tier}
        for a, b in combinations(sorted(position), 2):
            if position[a] < position[b]:
                data.append((index[a], index[b]))
            elif position[b] < position[a]:
                data.append((index[b], index[a]))
    return data


def bradley_terry(rankings: list[Tiers], *, alpha: float = 0.1) -> dict:
    """Bradley–Terry strengths (log scale) by L2-regularised maximum likelihood.

    The penalty keeps a candidate that never loses finite.
    """
    import choix

    candidates = sorted({candidate for tiers in rankings for tier in tiers for candidate in tier})
    index = {candidate: i for i, candidate in enumerate(candidates)}
    data = strict_comparisons(rankings, index)
    if not data:
        return dict.fromkeys(candidates, 0.0)
    params = choix.opt_pairwise(len(candidates), data, alpha=alpha)
    return {candidate: float(params[i]) for candidate, i in index.items()}
