"""Agreement between annotators' rankings of one comparison. Pure: tiers in, numbers out."""

from itertools import combinations

Tiers = list[list[int]]


def pair_relations(tiers: Tiers) -> dict[tuple[int, int], int]:
    """For each candidate pair (a, b) with a < b: +1 if a is preferred, -1 if b is, 0 for a tie."""
    position = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
    relations = {}
    for a, b in combinations(sorted(position), 2):
        relations[(a, b)] = (position[a] < position[b]) - (position[a] > position[b])
    return relations


def pairwise_agreement(rankings: list[Tiers]) -> dict[str, float | None]:
    """Agreement over annotator pairs and the candidate pairs both judged.

    exact: identical three-way relation; strict: only pairs both judged strictly, same
    direction; half: a tie against a strict preference counts one half.
    """
    exact = strict = half = 0.0
    total = strict_total = 0
    relations = [pair_relations(tiers) for tiers in rankings]
    for left, right in combinations(relations, 2):
        for pair in left.keys() & right.keys():
            a, b = left[pair], right[pair]
            total += 1
            exact += a == b
            half += 1.0 if a == b else 0.5 if 0 in (a, b) else 0.0
            if a and b:
                strict_total += 1
                strict += a == b
    return {
        "exact": exact / total if total else None,
        "strict": strict / strict_total if strict_total else None,
        "half": half / total if total else None,
    }


def comparison_agreement(rankings: list[Tiers]) -> float | None:
    """The per-comparison figure: mean exact pairwise agreement; None with fewer than two rankings."""
    if len(rankings) < 2:
        return None
    return pairwise_agreement(rankings)["exact"]
