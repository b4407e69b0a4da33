"""The lead's data browser over 100,000 comparisons: how fast the filtered list answers.

A fresh PostgreSQL database (`ranklab_bench_browse`) gets the statistics benchmark's project
(bench/stats.py's `populate`: K=4 candidates from two endpoints, three rankings each by 30
trainers, flags on a tenth), here with 300,000 rankings, so 100,000 comparisons. On top of it,
this script gives the messages and candidates words of a Zipf-like vocabulary (something for
text search to find), spreads the comparisons over eight weeks and four statuses, and computes
the statistics once (which stores each comparison's agreement). Then the list page is requested
as a lead, through Django's test client, for each filter on its own, a combination, and page 50.

Prints one JSON line: per case, the p95 and median in milliseconds over the requests, the
number of matching comparisons and the page's query count; the statistics' computation time, and
what storing each comparison's agreement costs in it: every figure (the first time), and none changed.

    .venv/bin/python bench/browse.py [--comparisons 100000] [--requests 30]
"""

import argparse
import json
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

from bench.fresh import django_on_fresh_database
from bench.queue import percentiles
from bench.stats import PER_COMPARISON, populate

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_browse"
VOCABULARY = 5000
TARGET_P95_MS = 100
MATCHING = re.compile(r'data-stat="matching">(More than )?(\d+) comparison')


def vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(4, 9))))
    return sorted(words)


def words_of(rng: random.Random, words: list[str], count: int) -> str:
    # Rank r drawn with weight 1/r: a few words are everywhere, most are rare.
    return " ".join(words[min(int(rng.paretovariate(1.0)) - 1, len(words) - 1)] for _ in range(count))


def give_texts(project, rng: random.Random, words: list[str]) -> None:
    """Messages and candidates of the project get text of the vocabulary, through COPY and one UPDATE each."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table, column, size in (("labeler_message", "content", 25), ("labeler_candidate", "text", 60)):
            if table == "labeler_message":
                cursor.execute(
                    "SELECT m.id FROM labeler_message m JOIN labeler_conversation c ON c.id = m.conversation_id "
                    "WHERE c.project_id = %s",
                    [project.id],
                )
            else:
                cursor.execute(
                    "SELECT x.id FROM labeler_candidate x JOIN labeler_comparison c ON c.id = x.comparison_id "
                    "WHERE c.project_id = %s",
                    [project.id],
                )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"CREATE TEMPORARY TABLE texts (id bigint PRIMARY KEY, {column} text)")
            with cursor.cursor.copy(f"COPY texts (id, {column}) FROM STDIN") as copy:
                for row_id in ids:
                    copy.write_row((row_id, words_of(rng, words, rng.randint(size // 2, size * 2))))
            cursor.execute(f"UPDATE {table} t SET {column} = x.{column} FROM texts x WHERE x.id = t.id")
            cursor.execute("DROP TABLE texts")


def spread(project) -> None:
    """Creation over eight weeks; a fifth ready, a twentieth pending, a fiftieth failed, the rest complete."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE labeler_comparison SET created_at = now() - (hashint4(id::int) & 65535) * interval '74 seconds', "
            "status = CASE WHEN id %% 100 < 20 THEN 'ready' WHEN id %% 100 < 25 THEN 'pending' "
            "WHEN id %% 100 < 27 THEN 'failed' ELSE 'complete' END WHERE project_id = %s",
            [project.id],
        )
        cursor.execute("VACUUM ANALYZE")


def populated(database_url: str):
    """The project and lead of an earlier run, on its database (the setup takes a quarter of an hour)."""
    import os

    import django

    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", REDIS_URL="")
    django.setup()
    from django.contrib.auth import get_user_model

    from labeler.models import Project

    return Project.objects.get(slug="bench"), get_user_model().objects.get(username="lead")


def cases(project, words: list[str]) -> dict[str, dict]:
    from django.utils import timezone

    from labeler.models import ModelEndpoint
    from rankings.models import Ranking

    endpoint = ModelEndpoint.objects.filter(project=project).order_by("name").last()
    trainer = Ranking.objects.filter(comparison__project=project).order_by("trainer_id").first().trainer_id
    today = timezone.now().date()
    week = {
        "created_from": (today - timedelta(days=21)).isoformat(),
        "created_to": (today - timedelta(days=14)).isoformat(),
    }
    # The 60th word of the Zipf ranking is in a few percent of the texts: a selective, not a rare, search.
    word = words[60]
    return {
        "no_filter": {},
        "text": {"q": word},
        "status": {"status": "ready"},
        "endpoint": {"endpoint": endpoint.id},
        "flag": {"flag": "untruthful"},
        "trainer": {"trainer": trainer},
        "agreement": {"agreement": "low"},
        "date": week,
        "combination": {"q": word, "status": "complete", "agreement": "medium", "flag": "untruthful"},
        "page_50": {"page": 50},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument(
        "--populated", action="store_true", help="time the database an earlier run of this script left, as it is"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    rng = random.Random(2)
    words = vocabulary(rng)
    if args.populated:
        project, lead = populated(args.database_url)
    else:
        django_on_fresh_database(args.database_url)
        project, lead = populate(args.comparisons * PER_COMPARISON)
        give_texts(project, rng, words)
        spread(project)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from labeler.models import Comparison
    from rankings.comparison_agreement import comparison_agreement_store
    from rankings.models import ComparisonAgreement
    from rankings.stats import project_stats_refresh

    refresh_started = time.perf_counter()
    project_stats_refresh(project_id=project.id)
    refresh_seconds = time.perf_counter() - refresh_started
    # What storing each comparison's agreement adds to it: every figure (the first computation), then none changed.
    figures = dict(ComparisonAgreement.objects.filter(project=project).values_list("comparison_id", "exact"))
    ComparisonAgreement.objects.filter(project=project).delete()
    store = []
    for _ in range(2):
        store_started = time.perf_counter()
        comparison_agreement_store(project=project, figures=figures)
        store.append(round(time.perf_counter() - store_started, 2))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - started

    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    url = reverse("comparison_browse", args=[project.slug])
    results = {}
    for name, query in cases(project, words).items():
        client.get(url, query)  # templates compiled, plans warm
        seconds = []
        for _ in range(args.requests):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, query)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
        matched = MATCHING.search(response.content.decode())
        cut = percentiles(seconds)
        results[name] = {
            "p95_ms": cut["p95_ms"],
            "median_ms": cut["p50_ms"],
            "matching": ">" * bool(matched.group(1)) + matched.group(2),
            "queries": len(queries),
        }
    print(
        json.dumps(
            {
                "benchmark": "browse",
                "comparisons": Comparison.objects.filter(project=project).count(),
                "requests_per_case": args.requests,
                "setup_seconds": round(setup_seconds, 1),
                "stats_refresh_seconds": round(refresh_seconds, 1),
                "agreement_store_seconds": {"all": store[0], "unchanged": store[1], "comparisons": len(figures)},
                "target_p95_ms": TARGET_P95_MS,
                "worst_p95_ms": max(result["p95_ms"] for result in results.values()),
                "cases": results,
            }
        )
    )


if __name__ == "__main__":
    main()
