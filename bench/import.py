"""Importing a big file: 100,000 conversations through `conversations_import` on PostgreSQL.

Writes a JSONL file of mixed shapes (messages with a system prompt, single prompts,
multi-turn, pre-generated candidates), imports it into a fresh project, then imports it
again (every id already present). Prints one JSON line of figures.

    .venv/bin/python bench/import.py [--lines 100000]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.fresh import django_on_fresh_database

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_import"


def write_file(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            kind = n % 4
            if kind == 0:
                record = {"id": f"c{n}", "prompt": f"How do I sort a list of {n} numbers in Python?"}
            elif kind == 1:
                record = {
                    "id": f"c{n}",
                    "messages": [
                        {"role": "system", "content": "You are a careful assistant."},
                        {"role": "user", "content": f"Question {n}: what is the capital of France? Explain briefly."},
                    ],
                    "metadata": {"source": "bench", "n": n},
                }
            elif kind == 2:
                record = {
                    "id": f"c{n}",
                    "messages": [
                        {"role": "user", "content": f"I'm planning trip {n}."},
                        {"role": "assistant", "content": "Lovely! Where to?"},
                        {"role": "user", "content": "Lisbon. What should I not miss?"},
                    ],
                }
            else:
                record = {
                    "id": f"c{n}",
                    "messages": [{"role": "user", "content": f"Pick the best haiku about rain, number {n}."}],
                    "candidates": ["Rain on the roof—", "Grey clouds, wet streets", "Drops on the window", "Puddles"],
                }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()

    # Sampling is enqueued on commit; a broker that needs no server keeps the bench self-contained.
    django_on_fresh_database(args.database_url, CELERY_BROKER_URL="memory://")
    from labeler.importing import conversations_import
    from labeler.models import Comparison, Message, Project

    project = Project.objects.create(name="bench", slug="bench", k=4, overlap=3)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conversations.jsonl"
        write_file(path, args.lines)
        size = path.stat().st_size
        started = time.perf_counter()
        with path.open("rb") as source:
            first = conversations_import(project=project, source=source)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        with path.open("rb") as source:
            again = conversations_import(project=project, source=source)
        again_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "import",
                "lines": args.lines,
                "bytes": size,
                "seconds": round(seconds, 2),
                "lines_per_s": round(args.lines / seconds),
                "created": first.created,
                "messages": Message.objects.count(),
                "comparisons": Comparison.objects.count(),
                "reimport_seconds": round(again_seconds, 2),
                "reimport_created": again.created,
                "reimport_already_present": again.already_present,
            }
        )
    )


if __name__ == "__main__":
    main()
