"""Trainer quality: scores per trainer and the trainers a lead should look at. Pure."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from scipy.stats import binomtest

from rankings.agreement import pair_relations
from rankings.bias import longer_won, wilson_interval
from rankings.consensus import ranked_pairs

MIN_COMPARISONS = 10
# A strict random ranking agrees with another on about half the pairs: a trainer whose
# agreement is surely below this floor is not following the task.
AGREEMENT_FLOOR = 0.6
GOLD_FLOOR = 0.6
P_VALUE = 0.001


@dataclass
class Judged:
    """One ranking as the quality scores see it."""

    trainer: str
    comparison_id: int
    tiers: list[list]
    display_order: list = field(default_factory=list)
    duration_ms: int = 0
    flagged: bool = False
    matches_display_order: bool = False
    lengths: dict = field(default_factory=dict)
    gold_tiers: list[list] | None = None


def agreement_counts(tiers, reference) -> tuple[float, int]:
    """(credit, pairs) of one ranking against a reference: a tie against a preference is half."""
    mine, theirs = pair_relations(tiers), pair_relations(reference)
    credit, pairs = 0.0, 0
    for pair in mine.keys() & theirs.keys():
        a, b = mine[pair], theirs[pair]
        pairs += 1
        credit += 1.0 if a == b else 0.5 if 0 in (a, b) else 0.0
    return credit, pairs


def trainer_scores(records: list[Judged], skips: dict[str, int] | None = None) -> dict[str, dict]:
    """Per trainer: agreement with the consensus of the others (leave one out), gold accuracy,
    counts, median time, skip and flag rates, and the habits that reveal inattention."""
    skips = skips or {}
    by_comparison = defaultdict(list)
    for record in records:
        by_comparison[record.comparison_id].append(record)
    sums = defaultdict(lambda: defaultdict(float))
    durations = defaultdict(list)
    for comparison_records in by_comparison.values():
        for record in comparison_records:
            s = sums[record.trainer]
            s["ranked"] += 1
            s["flagged"] += record.flagged
            s["kept_order"] += record.matches_display_order
            durations[record.trainer].append(record.duration_ms)
            if record.tiers and len(record.tiers[0]) == 1 and record.display_order:
                s["single_winner"] += 1
                s["chose_first"] += record.tiers[0][0] == record.display_order[0]
                s["chance_first"] += 1 / len(record.display_order)
            s["orderings"] += 1 / math.factorial(len(record.display_order)) if record.display_order else 0
            won, total = longer_won(record.tiers, record.lengths)
            s["longer_won"] += won
            s["length_pairs"] += total
            others = [other.tiers for other in comparison_records if other is not record]
            if others:
                credit, pairs = agreement_counts(record.tiers, ranked_pairs(others))
                s["agreement_credit"] += credit
                s["agreement_pairs"] += pairs
            if record.gold_tiers:
                credit, pairs = agreement_counts(record.tiers, record.gold_tiers)
                s["gold_credit"] += credit
                s["gold_pairs"] += pairs
    scores = {}
    for trainer, s in sums.items():
        ranked = int(s["ranked"])
        scores[trainer] = {
            "ranked": ranked,
            "agreement": s["agreement_credit"] / s["agreement_pairs"] if s["agreement_pairs"] else None,
            "agreement_pairs": int(s["agreement_pairs"]),
            "agreement_credit": s["agreement_credit"],
            "gold_accuracy": s["gold_credit"] / s["gold_pairs"] if s["gold_pairs"] else None,
            "gold_pairs": int(s["gold_pairs"]),
            "gold_credit": s["gold_credit"],
            "median_seconds": statistics.median(durations[trainer]) / 1000 if durations[trainer] else None,
            "skip_rate": skips.get(trainer, 0) / (ranked + skips.get(trainer, 0)) if ranked else None,
            "flag_rate": s["flagged"] / ranked,
            "chose_first_rate": s["chose_first"] / s["single_winner"] if s["single_winner"] else None,
            "chose_first": int(s["chose_first"]),
            "single_winner": int(s["single_winner"]),
            "chance_first": s["chance_first"] / s["single_winner"] if s["single_winner"] else None,
            "kept_order_rate": s["kept_order"] / ranked,
            "kept_order": int(s["kept_order"]),
            "chance_kept_order": s["orderings"] / ranked,
            "longer_won": int(s["longer_won"]),
            "length_pairs": int(s["length_pairs"]),
            "length_share": s["longer_won"] / s["length_pairs"] if s["length_pairs"] else None,
        }
    return scores


def flag_trainers(scores: dict[str, dict]) -> dict[str, list[str]]:
    """The trainers whose habits are very unlikely by chance, each with the reasons."""
    flags: dict[str, list[str]] = {}
    for trainer, score in scores.items():
        if score["ranked"] < MIN_COMPARISONS:
            continue
        reasons = []
        interval = wilson_interval(round(score["agreement_credit"]), score["agreement_pairs"])
        if interval and interval[1] < AGREEMENT_FLOOR:
            reasons.append(f"agrees with the other trainers on only {score['agreement']:.0%} of pairs")
        interval = wilson_interval(round(score["gold_credit"]), score["gold_pairs"])
        if interval and interval[1] < GOLD_FLOOR:
            reasons.append(f"matches the gold answers on only {score['gold_accuracy']:.0%} of pairs")
        if _beyond_chance(score["kept_order"], score["ranked"], max(score["chance_kept_order"], 0.05)):
            reasons.append(f"kept the displayed order in {score['kept_order_rate']:.0%} of comparisons")
        if score["single_winner"] and _beyond_chance(
            score["chose_first"], score["single_winner"], score["chance_first"] + 0.1
        ):
            reasons.append(f"chose the first candidate shown {score['chose_first_rate']:.0%} of the time")
        others = [(s["longer_won"], s["length_pairs"]) for t, s in scores.items() if t != trainer]
        won, total = sum(w for w, _ in others), sum(n for _, n in others)
        if (
            total
            and score["length_pairs"]
            and _beyond_chance(score["longer_won"], score["length_pairs"], min(0.95, won / total + 0.1))
        ):
            reasons.append(f"preferred the longer answer in {score['length_share']:.0%} of pairs")
        if reasons:
            flags[trainer] = reasons
    return flags


def _beyond_chance(successes: int, n: int, rate: float) -> bool:
    """Far more successes than `rate` allows (one-sided binomial test)."""
    return n > 0 and binomtest(successes, n, rate, alternative="greater").pvalue < P_VALUE
