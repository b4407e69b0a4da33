"""Does the background scan for personal data hold up ranking? Trainers' "next" and "submit", timed
with and without a real Celery worker scanning a project of about 100k texts.

A project of `--comparisons` ready comparisons (one prompt and four candidates each: 20,000 make
100,000 texts), its prompts and candidates given the personal-data corpus's texts and answer-sized
paragraphs, none scanned. `--trainers` trainers rank it through gunicorn for `--seconds` with no
worker running (the baseline), then while Celery workers started as the Procfile starts them
(`WORKERS`) scan the same project (`privacy.tasks.pii_scan_project`, as an import enqueues it),
then once more with the workers stopped: on a shared host the machine's other load drifts, and the
runs before and after tell the scan's share from it. Prints one JSON line: the p50 and p95 of next
and submit in each run, the ratios of the scan's p95 to the runs without it, and how many texts the
worker scanned while the trainers ranked.

    .venv/bin/python bench/pii_scan_load.py [--comparisons 20000] [--trainers 10] [--seconds 60]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

from bench.fresh import django_on_fresh_database
from bench.load import load_run
from bench.machine import machine
from bench.serve import gunicorn

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_pii_scan"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"

ANSWER = (
    "Sure. To reset the router, hold the button on the back for ten seconds, wait for the lights to "
    "blink, then connect again with the password printed on the label. If that fails, the manual's "
    "section on factory settings explains the remaining steps in more detail."
)

TEXTS_SQL = """
UPDATE labeler_message m SET content = (%(prompts)s::text[])[1 + m.id %% cardinality(%(prompts)s::text[])]
FROM labeler_conversation c WHERE c.id = m.conversation_id AND c.project_id = %(p)s;
UPDATE labeler_candidate ca SET text = (%(answers)s::text[])[1 + ca.id %% cardinality(%(answers)s::text[])]
FROM labeler_comparison x WHERE x.id = ca.comparison_id AND x.project_id = %(p)s;
ANALYZE;
"""


# The Celery workers as the Procfile runs them (its restart loops aside): their niceness and options.
WORKERS = [
    (0, ["--concurrency=2", "-n", "bench@%h"]),
    (10, ["-Q", "privacy", "-n", "bench-pii@%h", "--concurrency=1"]),
]


def start_workers() -> list[subprocess.Popen]:
    base = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", "--without-gossip"]
    return [
        subprocess.Popen(
            ["nice", "-n", str(niceness), *base, *options], cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL
        )
        for niceness, options in WORKERS
    ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def scanned(project_id: int) -> int:
    from privacy.models import PiiScan

    return PiiScan.objects.filter(project_id=project_id).count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--comparisons", type=int, default=20_000)
    parser.add_argument("--trainers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think-ms", type=float, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    host = machine()
    django_on_fresh_database(args.database_url, redis_url=args.redis_url)
    import redis
    from django.db import connection

    from bench.queue import make_project, make_trainers
    from privacy.tests.corpus import texts
    from ranklab.background import enqueue_after_commit

    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    project = make_project("scanned", args.comparisons)
    prompts = [text.text for text in texts()]
    with connection.cursor() as cursor:
        cursor.execute(TEXTS_SQL, {"p": project.id, "prompts": prompts, "answers": [ANSWER, *prompts]})
    keys = make_trainers(project, args.trainers, "t")
    runs, workers = {}, []
    try:
        with gunicorn("--workers", str(args.workers), "--threads", "4", "--log-level", "warning") as server:

            def rank() -> dict:
                result = load_run(
                    url=server.url, project=project, session_keys=keys, seconds=args.seconds, think=args.think_ms / 1000
                )
                return {key: result[key] for key in ("requests", "errors", "stored", "next", "submit")}

            runs["without_scan"] = rank()
            workers = start_workers()
            enqueue_after_commit("privacy.tasks.pii_scan_project", project.id)
            deadline = time.monotonic() + 120
            while scanned(project.id) == 0 and time.monotonic() < deadline:
                time.sleep(0.5)  # the worker builds its analyzer first: time the scan, not its start
            before, started = scanned(project.id), time.monotonic()
            runs["during_scan"] = rank()
            runs["during_scan"]["texts_scanned"] = scanned(project.id) - before
            runs["during_scan"]["scan_texts_per_s"] = round(
                runs["during_scan"]["texts_scanned"] / (time.monotonic() - started), 1
            )
            stop_workers(workers)
            # Again without the scan: what the machine's other load changed meanwhile, apart from the scan.
            runs["after_scan"] = rank()
    finally:
        stop_workers(workers)
        broker.flushdb()
    ratio = {
        f"{what}_p95_ratio_to_{run}": round(
            runs["during_scan"][what]["p95_ms"] / runs[f"{run}_scan"][what]["p95_ms"], 2
        )
        for what in ("next", "submit")
        for run in ("without", "after")
    }
    print(
        json.dumps(
            {
                "benchmark": "pii_scan_load",
                "machine": host,
                "texts": args.comparisons * 5,
                "trainers": args.trainers,
                "think_ms": args.think_ms,
                "celery_workers": [f"nice {niceness}: {' '.join(options)}" for niceness, options in WORKERS],
                **runs,
                **ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
