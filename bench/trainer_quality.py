"""Does RankLab find the trainers who do the task badly? A simulation with known answers.

20 trainers rank 2,000 comparisons (K=4, three trainers each, shown in a random order) whose
true order is known: 17 honest trainers who see the true quality through Gaussian noise of a
known level (and tie near-equal candidates), one random clicker, one who always keeps the
displayed order, and one who always puts the longest answer first. The four candidates come
from four of six simulated endpoints of known quality, the weaker ones more verbose. Within an
endpoint answer length is mildly correlated with quality, and every honest trainer also likes
length for its own sake (the bias the write-ups report), so the raw Bradley–Terry strengths of
the endpoints are pulled towards the verbose ones. 5% of the comparisons are gold. Only
RankLab's pure modules are used (no database).

Prints one JSON line: the Spearman correlation between the honest trainers' noise levels and
RankLab's trainer score (disagreement with the leave-one-out consensus), after how many of
their own comparisons each planted bad trainer is first flagged (and why), after how many the
one who prefers the longest answer is first flagged for it by the length-preference score, which
honest trainers were ever flagged at any checkpoint (for any reason, and for length), and the
Spearman correlation of the endpoints' raw and style-controlled strengths with their true
quality. With --seeds N it repeats for N seeds and adds the worst case over them.

    .venv/bin/python bench/trainer_quality.py [--seed 1] [--seeds 5]
"""

import argparse
import json
import math
import random
import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np
from scipy.stats import spearmanr

from rankings.consensus import bradley_terry_fit
from rankings.quality import RankingRecord, flag_trainers, trainer_quality

K, COMPARISONS, PER_COMPARISON, HONEST = 4, 2000, 3, 17
GOLD_SHARE = 0.05
BAD = ("random_clicker", "keeps_displayed_order", "prefers_longest")
# Checkpoints (project comparisons): every 5 while the bad trainers are young (under one of their
# own per checkpoint), then every 100.
DENSE_UNTIL, DENSE_STEP, SPARSE_STEP = 800, 5, 100
# The endpoints' true quality (added to each answer's) and verbosity (added to its log length):
# the better ones write shorter answers.
ENDPOINT_QUALITY = (0.6, 0.3, 0.1, -0.1, -0.3, -0.6)
ENDPOINT_VERBOSITY = (-0.6, -0.3, 0.0, 0.3, 0.6, 0.9)
# How much an honest trainer's impression of an answer grows per unit of its log length.
HONEST_LENGTH_LIKING = 0.7
LENGTH_REASON = "Prefers longer answers"


def noise_levels() -> dict[str, float]:
    return {f"honest_{i:02d}": round(0.1 + 0.9 * i / (HONEST - 1), 3) for i in range(HONEST)}


def simulate(seed: int) -> tuple[list[RankingRecord], dict[int, list[list[int]]], dict[int, int]]:
    """The records, the gold tiers, and each candidate's endpoint."""
    rng = random.Random(seed)
    noise = noise_levels()
    trainers = [*noise, *BAD]
    records, gold, endpoint_of = [], {}, {}
    for comparison in range(COMPARISONS):
        ids = [comparison * K + i for i in range(K)]
        endpoint_of.update(zip(ids, rng.sample(range(len(ENDPOINT_QUALITY)), K), strict=True))
        own = {c: rng.gauss(0, 1) for c in ids}
        quality = {c: ENDPOINT_QUALITY[endpoint_of[c]] + own[c] for c in ids}
        lengths = {
            c: max(20, round(400 * math.exp(ENDPOINT_VERBOSITY[endpoint_of[c]] + 0.3 * own[c] + 0.6 * rng.gauss(0, 1))))
            for c in ids
        }
        # What an honest trainer sees before their own noise: the quality, and the length they like.
        appeal = {c: quality[c] + HONEST_LENGTH_LIKING * math.log(lengths[c] / 400) for c in ids}
        if rng.random() < GOLD_SHARE:
            gold[comparison] = [[c] for c in sorted(ids, key=lambda c: -quality[c])]
        for trainer in rng.sample(trainers, PER_COMPARISON):
            display = rng.sample(ids, K)
            if trainer == "random_clicker":
                tiers = [[c] for c in rng.sample(ids, K)]
            elif trainer == "keeps_displayed_order":
                tiers = [[c] for c in display]
            elif trainer == "prefers_longest":
                tiers = [[c] for c in sorted(ids, key=lambda c: -lengths[c])]
            else:
                tiers = _perceived(ids, appeal, noise[trainer], rng)
            records.append(
                RankingRecord(
                    trainer=trainers.index(trainer),
                    comparison=comparison,
                    tiers=tiers,
                    display_order=display,
                    duration_ms=round(rng.lognormvariate(math.log(45_000), 0.4)),
                    matches_display_order=[t[0] for t in tiers] == display and all(len(t) == 1 for t in tiers),
                    lengths=lengths,
                )
            )
    return records, gold, endpoint_of


def _perceived(ids: list[int], quality: dict[int, float], sigma: float, rng: random.Random) -> list[list[int]]:
    """Rank by quality seen through noise; candidates that look within 0.05 of each other tie."""
    seen = sorted(((quality[c] + rng.gauss(0, sigma), c) for c in ids), reverse=True)
    tiers = [[seen[0][1]]]
    for (upper, _), (value, candidate) in pairwise(seen):
        if upper - value < 0.05:
            tiers[-1].append(candidate)
        else:
            tiers.append([candidate])
    return tiers


def endpoint_strengths(records: list[RankingRecord], endpoint_of: dict[int, int]) -> dict[str, float]:
    """Spearman correlations of the endpoints' raw and style-controlled strengths with their true quality,
    and the fitted length effect."""
    winners, losers = [], []
    for record in records:
        for (a, b), relation in record.relations.items():
            if relation and endpoint_of[a] != endpoint_of[b]:
                winners.append(a if relation > 0 else b)
                losers.append(b if relation > 0 else a)
    lengths = {c: length for record in records for c, length in record.lengths.items()}
    source = np.array([endpoint_of[c] for c in winners]), np.array([endpoint_of[c] for c in losers])
    log_ratio = np.log([lengths[w] / lengths[loser] for w, loser in zip(winners, losers, strict=True)])[:, None]
    names = [str(endpoint) for endpoint in range(len(ENDPOINT_QUALITY))]
    raw = bradley_terry_fit(names, *source)
    styled = bradley_terry_fit(names, *source, covariates=log_ratio)
    return {
        "raw": round(float(spearmanr(ENDPOINT_QUALITY, [raw.strengths[n] for n in names]).statistic), 4),
        "style_controlled": round(
            float(spearmanr(ENDPOINT_QUALITY, [styled.strengths[n] for n in names]).statistic), 4
        ),
        "length_effect": round(styled.coefficients[0], 4),
        "length_effect_ci": [round(bound, 4) for bound in styled.coefficient_intervals[0]],
    }


def run(seed: int) -> dict:
    records, gold, endpoint_of = simulate(seed)
    names = [*noise_levels(), *BAD]
    noise = noise_levels()
    checkpoints = [*range(DENSE_STEP, DENSE_UNTIL, DENSE_STEP), *range(DENSE_UNTIL, COMPARISONS + 1, SPARSE_STEP)]
    flagged_after: dict[str, dict | None] = dict.fromkeys(BAD)
    length_flagged_after: int | None = None
    honest_ever_flagged: dict[str, int] = {}
    honest_ever_flagged_for_length: dict[str, int] = {}
    end = 0
    for checkpoint in checkpoints:
        while end < len(records) and records[end].comparison < checkpoint:
            end += 1
        qualities = trainer_quality(records[:end], gold=gold)
        for trainer, reasons in flag_trainers(qualities, K).items():
            name = names[trainer]
            for_length = any(reason.startswith(LENGTH_REASON) for reason in reasons)
            if name in BAD and flagged_after[name] is None:
                flagged_after[name] = {"own_comparisons": qualities[trainer].rankings, "reasons": reasons}
            if name == "prefers_longest" and for_length and length_flagged_after is None:
                length_flagged_after = qualities[trainer].rankings
            elif name not in BAD:
                honest_ever_flagged.setdefault(name, qualities[trainer].rankings)
                if for_length:
                    honest_ever_flagged_for_length.setdefault(name, qualities[trainer].rankings)
    final = trainer_quality(records, gold=gold)
    final_flags = flag_trainers(final, K)
    honest = [names.index(name) for name in noise]
    rho = spearmanr([noise[names[t]] for t in honest], [1 - final[t].score for t in honest]).statistic
    return {
        "seed": seed,
        "rankings": len(records),
        "own_comparisons_per_trainer": round(len(records) / len(names)),
        "spearman_noise_vs_disagreement": round(float(rho), 4),
        "flagged_after_own_comparisons": {
            name: value and value["own_comparisons"] for name, value in flagged_after.items()
        },
        "flag_reasons": {name: value and value["reasons"] for name, value in flagged_after.items()},
        "longest_flagged_for_length_after_own_comparisons": length_flagged_after,
        "longest_length_preference": final[names.index("prefers_longest")].length_preference.as_dict(),
        "honest_ever_flagged": honest_ever_flagged,
        "honest_ever_flagged_for_length": honest_ever_flagged_for_length,
        "honest_length_preference_range": [
            round(min(final[t].length_preference.score for t in honest), 4),
            round(max(final[t].length_preference.score for t in honest), 4),
        ],
        "endpoint_spearman_vs_true_quality": endpoint_strengths(records, endpoint_of),
        "honest_flagged_at_end": sorted(names[t] for t in honest if t in final_flags),
        "honest_agreement_range": [
            round(min(final[t].score for t in honest), 4),
            round(max(final[t].score for t in honest), 4),
        ],
        "bad_agreement": {name: round(final[names.index(name)].score, 4) for name in BAD},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1, help="repeat with this many seeds and report the worst")
    args = parser.parse_args()
    started = time.perf_counter()
    results = [run(args.seed + offset) for offset in range(args.seeds)]
    line = {
        "benchmark": "trainer_quality",
        "trainers": HONEST + len(BAD),
        "comparisons": COMPARISONS,
        "k": K,
        "rankings_per_comparison": PER_COMPARISON,
        "honest_noise_levels": [min(noise_levels().values()), max(noise_levels().values())],
        **results[0],
    }
    if args.seeds > 1:
        after = [v for r in results for v in r["flagged_after_own_comparisons"].values()]
        line["over_seeds"] = {
            "seeds": [r["seed"] for r in results],
            "min_spearman": min(r["spearman_noise_vs_disagreement"] for r in results),
            "max_flagged_after": None if None in after else max(after),
            "never_flagged": sum(v is None for v in after),
            "honest_ever_flagged": sum(len(r["honest_ever_flagged"]) for r in results),
            "max_longest_flagged_for_length_after": max(
                (r["longest_flagged_for_length_after_own_comparisons"] or math.inf) for r in results
            ),
            "honest_ever_flagged_for_length": sum(len(r["honest_ever_flagged_for_length"]) for r in results),
            "min_style_controlled_spearman": min(
                r["endpoint_spearman_vs_true_quality"]["style_controlled"] for r in results
            ),
            "max_raw_spearman": max(r["endpoint_spearman_vs_true_quality"]["raw"] for r in results),
        }
    line["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(line))


if __name__ == "__main__":
    main()
