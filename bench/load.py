"""`make load`: trainers ranking through gunicorn for minutes, checked for what must hold.

N trainers (threads with their own sessions) loop next → submit over HTTP as htmx does, on
a project of ready comparisons (K=4, overlap 3) on PostgreSQL, with Redis for the cache,
sessions and the broker. Prints one JSON line: requests, errors (5xx or no answer; must be
0), over-assignments (must be 0), rankings acknowledged to trainers and stored (must be
equal), rankings per second and the latency percentiles of next and submit.

    .venv/bin/python bench/load.py [--trainers 100] [--seconds 300] [--think-ms 1000]

The suite runs the same with 20 trainers for 20 seconds (tests/test_load_short.py).
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

# Run as a script, the repository root must come first (bench/queue.py would shadow `queue`).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.fresh import django_on_fresh_database
from bench.machine import machine
from bench.serve import gunicorn
from bench.traffic import Tally, TrainerSession, rank_until

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"


def percentiles(samples: list[float]) -> dict:
    if len(samples) < 2:
        return {"n": len(samples)}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"n": len(samples), "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1)}


def load_run(*, url: str, project, session_keys: list[str], seconds: float, think: float) -> dict:
    """Rank for `seconds` with one trainer per session key; the figures of the run."""
    from bench.queue import over_assignments
    from rankings.models import Ranking

    tally = Tally()
    sessions = [TrainerSession(url, key, project.slug, tally) for key in session_keys]
    stop = threading.Event()
    started = time.monotonic()
    threads = rank_until(sessions, stop, pause=think)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    stored = Ranking.objects.filter(comparison__project=project).count()
    return {
        "trainers": len(session_keys),
        "seconds": round(elapsed, 1),
        "requests": tally.requests,
        "errors": sum(count for status, count in tally.statuses.items() if status >= 500),
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
        "over_assignments": over_assignments(project),
        "acknowledged": tally.acknowledged,
        "stored": stored,
        "rankings_per_s": round(stored / elapsed, 1),
        "next": percentiles(tally.seconds["next"]),
        "submit": percentiles(tally.seconds["submit"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--trainers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--think-ms", type=float, default=1000)
    parser.add_argument("--comparisons", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    host = machine()
    django_on_fresh_database(args.database_url, redis_url=args.redis_url)
    import redis

    from bench.queue import make_project, make_trainers

    project = make_project("load", args.comparisons)
    keys = make_trainers(project, args.trainers, "t")
    try:
        with gunicorn("--workers", str(args.workers), "--threads", "4") as server:
            result = load_run(
                url=server.url, project=project, session_keys=keys, seconds=args.seconds, think=args.think_ms / 1000
            )
    finally:
        # No worker ran: drop the statistics refreshes the submissions enqueued.
        redis.Redis.from_url(args.redis_url).delete("celery")
    print(json.dumps({"benchmark": "load", "think_ms": args.think_ms, "machine": host, **result}))


if __name__ == "__main__":
    main()
