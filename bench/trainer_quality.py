"""Does RankLab find the trainers who do the task badly? A simulation with known answers.

20 trainers rank 2,000 comparisons (K=4, three trainers each, shown in a random order) whose
true order is known: 17 honest trainers who see the true quality through Gaussian noise of a
known level (and tie near-equal candidates), one random clicker, one who always keeps the
displayed order, and one who always puts the longest answer first. Answer length is mildly
correlated with quality, so honest trainers prefer longer answers a little too. 5% of the
comparisons are gold. Only RankLab's pure modules are used (no database).

Prints one JSON line: the Spearman correlation between the honest trainers' noise levels and
RankLab's trainer score (disagreement with the leave-one-out consensus), after how many of
their own comparisons each planted bad trainer is first flagged (and why), and which honest
trainers were ever flagged at any checkpoint. With --seeds N it repeats for N seeds and adds
the worst case over them.

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

from scipy.stats import spearmanr

from rankings.quality import RankingRecord, flag_trainers, trainer_quality

K, COMPARISONS, PER_COMPARISON, HONEST = 4, 2000, 3, 17
GOLD_SHARE = 0.05
BAD = ("random_clicker", "keeps_displayed_order", "prefers_longest")
# Checkpoints (project comparisons): every 5 while the bad trainers are young (under one of their
# own per checkpoint), then every 100.
DENSE_UNTIL, DENSE_STEP, SPARSE_STEP = 800, 5, 100


def noise_levels() -> dict[str, float]:
    return {f"honest_{i:02d}": round(0.1 + 0.9 * i / (HONEST - 1), 3) for i in range(HONEST)}


def simulate(seed: int) -> tuple[list[RankingRecord], dict[int, list[list[int]]]]:
    rng = random.Random(seed)
    noise = noise_levels()
    trainers = [*noise, *BAD]
    records, gold = [], {}
    for comparison in range(COMPARISONS):
        ids = [comparison * K + i for i in range(K)]
        quality = {c: rng.gauss(0, 1) for c in ids}
        lengths = {c: max(20, round(400 * math.exp(0.3 * quality[c] + 0.6 * rng.gauss(0, 1)))) for c in ids}
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
                tiers = _perceived(ids, quality, noise[trainer], rng)
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
    return records, gold


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


def run(seed: int) -> dict:
    records, gold = simulate(seed)
    names = [*noise_levels(), *BAD]
    noise = noise_levels()
    checkpoints = [*range(DENSE_STEP, DENSE_UNTIL, DENSE_STEP), *range(DENSE_UNTIL, COMPARISONS + 1, SPARSE_STEP)]
    flagged_after: dict[str, dict | None] = dict.fromkeys(BAD)
    honest_ever_flagged: dict[str, int] = {}
    end = 0
    for checkpoint in checkpoints:
        while end < len(records) and records[end].comparison < checkpoint:
            end += 1
        qualities = trainer_quality(records[:end], gold=gold)
        for trainer, reasons in flag_trainers(qualities, K).items():
            name = names[trainer]
            if name in BAD and flagged_after[name] is None:
                flagged_after[name] = {"own_comparisons": qualities[trainer].rankings, "reasons": reasons}
            elif name not in BAD:
                honest_ever_flagged.setdefault(name, qualities[trainer].rankings)
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
        "honest_ever_flagged": honest_ever_flagged,
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
        }
    line["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(line))


if __name__ == "__main__":
    main()
