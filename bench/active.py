"""Human rankings spent where they change the data most: "most informative first" against "oldest first".

A simulation on the real queue. Each comparison has a known true order (a quality per candidate,
drawn from a normal distribution); simulated trainers, each with a noise level of their own,
rank what they perceive (quality plus their noise). For each queue order a fresh project of N
ready comparisons (K=4, overlap 3) is ranked through the app's own services: trainers in a
random order call `assignment_lease_next` and `ranking_submit`, which keeps each comparison's
queue score (rankings/informativeness.py) in its transaction, until every comparison has its
overlap. Both orders draw trainers from the same seeded sequence, and a trainer perceives a
comparison the same way under both.

After every 1 % of the full budget (N × overlap rankings) it measures the consensus's
agreement with the truth: the share of candidate pairs the consensus (ranked pairs, the app's
default) orders as the truth does, a pair it ties counting half, a comparison with no ranking
tying all. At the full budget both orders have given every comparison its overlap, so they
differ there only by which trainer ranked what. Prints one JSON line: the accuracy of each
order at budgets of 10 % to 100 %; for a fixed budget of each size, the accuracy "oldest
first" reaches with it, the budget "most informative first" needs to reach the same and stay
there, and their ratio (target: ≤ 0.7).

    .venv/bin/python bench/active.py [--comparisons 400] [--trainers 10] [--seed 1]
"""

import sys
from pathlib import Path

# Run as a script, bench/queue.py would shadow the standard library's `queue` module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import random
import time
from itertools import combinations

import redis

from bench.fresh import django_on_fresh_database
from bench.machine import machine
from bench.queue import make_project

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_active"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"
ORDERS = ("oldest", "informative")
REPORTED = [f / 10 for f in range(1, 11)]
TARGET_RATIO = 0.7


def noise_levels(trainers: int) -> list[float]:
    """From a careful trainer (0.2 of the spread of qualities) to a sloppy one (1.0)."""
    return [0.2 + 0.8 * index / max(trainers - 1, 1) for index in range(trainers)]


def perceived(qualities: list[float], noise: float, seed: int) -> list[int]:
    """Candidate positions, best first, as a trainer with this noise sees them."""
    chance = random.Random(seed)
    seen = [quality + chance.gauss(0, noise) for quality in qualities]
    return sorted(range(len(qualities)), key=lambda position: -seen[position])


def accuracy(rankings: dict[int, list], truth: dict[int, list[float]], positions: dict[int, list[int]]) -> float:
    from rankings.consensus import consensus

    total = 0.0
    for comparison_id, qualities in truth.items():
        ids = positions[comparison_id]
        tiers = consensus(rankings[comparison_id]) if rankings[comparison_id] else [list(ids)]
        tier_of = {candidate: index for index, tier in enumerate(tiers) for candidate in tier}
        pairs = list(combinations(range(len(ids)), 2))
        right = 0.0
        for a, b in pairs:
            if tier_of[ids[a]] == tier_of[ids[b]]:
                right += 0.5
            elif (tier_of[ids[a]] < tier_of[ids[b]]) == (qualities[a] > qualities[b]):
                right += 1
        total += right / len(pairs)
    return total / len(truth)


def run_order(order: str, *, comparisons: int, trainers: int, seed: int) -> dict:
    """Rank a fresh project to the full budget under `order`; accuracy after every 1 % of it."""
    from django.contrib.auth import get_user_model

    from labeler.models import Candidate, Membership
    from labeler.queue import assignment_lease_next
    from rankings.services import Judgement, ranking_submit

    project = make_project(f"active-{order}", comparisons)
    project.queue_order = order
    project.save(update_fields=["queue_order"])
    users = []
    for index in range(trainers):
        user = get_user_model().objects.create_user(f"{order}-{index}", password="x")
        Membership.objects.create(user=user, project=project, role="trainer")
        users.append(user)
    noise = noise_levels(trainers)

    # The same truth under both orders: comparison n (by age) and its candidate i get the same quality.
    chance = random.Random(seed)
    positions: dict[int, list[int]] = {}
    for comparison_id, candidate_id in (
        Candidate.objects.filter(comparison__project=project)
        .order_by("comparison_id", "sample_index")
        .values_list("comparison_id", "id")
    ):
        positions.setdefault(comparison_id, []).append(candidate_id)
    age = {comparison_id: index for index, comparison_id in enumerate(sorted(positions))}
    truth = {comparison_id: [chance.gauss(0, 1) for _ in ids] for comparison_id, ids in positions.items()}

    budget = comparisons * project.overlap
    checkpoints = {round(budget * step / 100) for step in range(1, 101)}
    rankings: dict[int, list] = {comparison_id: [] for comparison_id in positions}
    curve, spent, active = {}, 0, list(range(trainers))
    turns = random.Random(seed + 1)
    started = time.perf_counter()
    while spent < budget and active:
        index = turns.choice(active)
        assignment = assignment_lease_next(project=project, trainer=users[index])
        if assignment is None:
            active.remove(index)
            continue
        comparison_id = assignment.comparison_id
        order_seen = perceived(truth[comparison_id], noise[index], seed * 1_000_003 + age[comparison_id] * 101 + index)
        tiers = [[positions[comparison_id][position]] for position in order_seen]
        ranking_submit(
            trainer=users[index],
            project=project,
            assignment_id=assignment.id,
            judgement=Judgement(tiers=tiers, duration_ms=1000, confirmed_display_order=True),
        )
        rankings[comparison_id].append(tiers)
        spent += 1
        if spent in checkpoints:
            curve[spent] = accuracy(rankings, truth, positions)
    project.refresh_from_db()
    return {
        "budget": budget,
        "spent": spent,
        "curve": curve,
        "seconds": round(time.perf_counter() - started, 1),
        "score_column_matches": _scores_current(project),
    }


def _scores_current(project) -> bool:
    """Every open comparison's score was written at its current rankings count (none left for the refresh)."""
    from django.db.models import F

    from labeler.models import Comparison

    return not (
        Comparison.objects.filter(project=project, status="ready")
        .exclude(queue_score_rankings=F("rankings_count"))
        .exists()
    )


def needed(curve: dict[int, float], goal: float) -> int | None:
    """The smallest budget from which on the curve stays at `goal` or above.

    A curve dips where a noisy ranking turns a pair wrong: the first touch would flatter it.
    """
    reach = None
    for spent, value in sorted(curve.items()):
        if value < goal - 1e-12:
            reach = None
        elif reach is None:
            reach = spent
    return reach


def compare(runs: dict[str, dict]) -> dict:
    oldest, informative = runs["oldest"], runs["informative"]
    budget = oldest["budget"]
    by_budget = []
    for fraction in REPORTED:
        fixed = round(budget * fraction)
        goal = oldest["curve"][fixed]
        reach = needed(informative["curve"], goal)
        by_budget.append(
            {
                "fixed_budget": fixed,
                "oldest_first_accuracy": round(goal, 4),
                "most_informative_accuracy": round(informative["curve"][fixed], 4),
                "most_informative_needs": reach,
                "ratio": round(reach / fixed, 3) if reach else None,
            }
        )
    met = [row["fixed_budget"] for row in by_budget if row["ratio"] is not None and row["ratio"] <= TARGET_RATIO]
    return {"by_budget": by_budget, "target_met_up_to_budget": max(met) if met else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--comparisons", type=int, default=400)
    parser.add_argument("--trainers", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    host = machine()
    django_on_fresh_database(args.database_url, redis_url=args.redis_url)
    try:
        runs = {
            order: run_order(order, comparisons=args.comparisons, trainers=args.trainers, seed=args.seed)
            for order in ORDERS
        }
    finally:
        # No worker ran: drop the statistics refreshes the submissions enqueued.
        redis.Redis.from_url(args.redis_url).delete("celery")
    comparison = compare(runs)
    print(
        json.dumps(
            {
                "benchmark": "active",
                "comparisons": args.comparisons,
                "k": 4,
                "overlap": 3,
                "trainers": args.trainers,
                "trainer_noise": [round(level, 2) for level in noise_levels(args.trainers)],
                "seed": args.seed,
                "machine": host,
                "accuracy": {
                    order: {f"{round(f * 100)}%": round(run["curve"][round(run["budget"] * f)], 4) for f in REPORTED}
                    for order, run in runs.items()
                },
                **comparison,
                "target_ratio": TARGET_RATIO,
                "rankings_spent": {order: run["spent"] for order, run in runs.items()},
                "scores_current": {order: run["score_column_matches"] for order, run in runs.items()},
                "seconds": {order: run["seconds"] for order, run in runs.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
