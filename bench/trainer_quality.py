"""Does RankLab find the trainers who do the task badly? A simulation with known answers.

20 trainers rank 2,000 comparisons (K=4, three trainers each) whose true order is known:
17 honest trainers with known noise levels, one random clicker, one who always keeps the
displayed order, and one who always prefers the longest answer. Prints one JSON line: the
Spearman correlation between the honest trainers' noise and their agreement score, after
how many of their own comparisons each planted bad trainer is first flagged, and any honest
trainer ever flagged.

    .venv/bin/python bench/trainer_quality.py [--seed 7]
"""

import argparse
import json
import random
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from scipy.stats import spearmanr

from rankings.quality import Judged, flag_trainers, trainer_scores

K, COMPARISONS, PER_COMPARISON = 4, 2000, 3
BAD = {"random_clicker", "keeps_displayed_order", "prefers_longest"}
CHECK_EVERY = 5


def simulate(seed: int):
    rng = random.Random(seed)
    noise = {f"honest_{i:02d}": 0.15 + 1.85 * i / 16 for i in range(17)}
    trainers = [*noise, *sorted(BAD)]
    records = []
    for comparison in range(COMPARISONS):
        quality = {c: rng.gauss(0, 1) for c in range(K)}
        lengths = {c: rng.randint(40, 1200) for c in range(K)}
        for trainer in rng.sample(trainers, PER_COMPARISON):
            display = rng.sample(range(K), K)
            if trainer == "random_clicker":
                order = rng.sample(range(K), K)
            elif trainer == "keeps_displayed_order":
                order = list(display)
            elif trainer == "prefers_longest":
                order = sorted(range(K), key=lambda c: -lengths[c])
            else:
                order = sorted(range(K), key=lambda c: -(quality[c] + rng.gauss(0, noise[trainer])))
            records.append(
                Judged(
                    trainer=trainer,
                    comparison_id=comparison,
                    tiers=[[c] for c in order],
                    display_order=display,
                    duration_ms=rng.randint(10_000, 90_000),
                    matches_display_order=order == display,
                    lengths=lengths,
                )
            )
    return noise, records


def first_flagged(records, trainer) -> int | None:
    """How many of the trainer's own comparisons it takes before they are flagged."""
    positions = [index for index, record in enumerate(records) if record.trainer == trainer]
    for count in range(CHECK_EVERY, len(positions) + 1, CHECK_EVERY):
        if trainer in flag_trainers(trainer_scores(records[: positions[count - 1] + 1])):
            return count
    return None


def honest_ever_flagged(records, honest) -> list[str]:
    flagged = set()
    for end in range(len(records) // 10, len(records) + 1, len(records) // 10):
        flagged |= set(flag_trainers(trainer_scores(records[:end]))) & set(honest)
    return sorted(flagged)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    noise, records = simulate(args.seed)
    scores = trainer_scores(records)
    honest = sorted(noise)
    rho = spearmanr([noise[t] for t in honest], [-scores[t]["agreement"] for t in honest]).statistic
    final_flags = flag_trainers(scores)
    print(
        json.dumps(
            {
                "benchmark": "trainer_quality",
                "trainers": len(scores),
                "comparisons": COMPARISONS,
                "rankings": len(records),
                "spearman_noise_vs_score": round(float(rho), 4),
                "flagged_after_own_comparisons": {trainer: first_flagged(records, trainer) for trainer in sorted(BAD)},
                "final_flags": final_flags,
                "honest_flagged_at_any_tenth": honest_ever_flagged(records, honest),
            }
        )
    )


if __name__ == "__main__":
    main()
