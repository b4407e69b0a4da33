"""Recomputing every statistic of a project with 100,000 rankings, and serving its dashboard.

A fresh PostgreSQL database (`ranklab_bench_stats`, dropped and migrated here) gets one project:
33,334 comparisons of K=4 candidates from two endpoints (a third of the answers markdown with a
list, most with a header, some with bold, as chat models write; the rest plain prose), three
rankings each (100,002 rankings by 30 trainers of different care, ties included), 3% gold
comparisons with the lead's ruling, some skips and flags, all bulk-inserted (each candidate with
its style, as sampling stores it). Then `project_stats_refresh` runs (the whole computation the
background task does) in a second process, as a worker runs it: the process that built the
project still holds much of what it built, and the recompute's garbage collections would walk
it (2 s of a 6 s recompute). Then the lead's dashboard is requested 20 times.
Prints one JSON line: the recompute seconds (wall clock, and the recomputing process's CPU time;
style-controlled Bradley–Terry and the trainers' length preference included), rankings per
second, its peak memory (that process's high-water mark and what the recompute added to it, and
the peak tracemalloc sees in a second, traced run), the dashboard's median and worst response
time, its query count, and the fitted length effect. With `--rubric`, the project has
HelpSteer2's rubric and every ranking rates each of its candidates on its five attributes
(2 million ratings at 100k rankings): the figures include the ratings' statistics, and the line
their interval alpha and the load average.

    .venv/bin/python bench/stats.py [--rubric] [--rankings 100000]
"""

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

from bench.fresh import django_on_database, django_on_fresh_database
from bench.machine import machine

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_stats"
K, PER_COMPARISON, TRAINERS, BATCH = 4, 3, 30, 5000


def populate(rankings: int, seed: int = 1):
    """The project, bulk-inserted; returns (project, lead)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from labeler.models import (
        Assignment,
        Candidate,
        Comparison,
        Conversation,
        Membership,
        Message,
        ModelEndpoint,
        Project,
        candidate_style,
    )
    from rankings.models import Adjudication, Ranking

    rng = random.Random(seed)
    # Its own stream, so the rankings are those of the bench before answers had markdown.
    styling = random.Random(seed + 1)
    User = get_user_model()
    lead = User.objects.create_user("lead")
    project = Project.objects.create(name="Bench", slug="bench", k=K, overlap=PER_COMPARISON)
    Membership.objects.create(user=lead, project=project, role=Membership.Role.LEAD)
    trainers = User.objects.bulk_create([User(username=f"trainer{i:02d}") for i in range(TRAINERS)])
    Membership.objects.bulk_create(
        [Membership(user=t, project=project, role=Membership.Role.TRAINER) for t in trainers]
    )
    noise = {t.id: 0.1 + 1.2 * i / TRAINERS for i, t in enumerate(trainers)}
    endpoints = [
        ModelEndpoint.objects.create(project=project, name=name, base_url="http://127.0.0.1:1/v1", model=name, share=2)
        for name in ("policy-a", "policy-b")
    ]
    comparisons = -(-rankings // PER_COMPARISON)
    start = timezone.now() - timedelta(weeks=8)
    flag_keys = [flag["key"] for flag in project.flag_taxonomy]
    for offset in range(0, comparisons, BATCH):
        size = min(BATCH, comparisons - offset)
        conversations = Conversation.objects.bulk_create(
            [Conversation(project=project, external_id=f"c{offset + i}") for i in range(size)]
        )
        messages = Message.objects.bulk_create(
            [Message(conversation=c, role="user", content=f"Question {c.external_id}?") for c in conversations]
        )
        batch = Comparison.objects.bulk_create(
            [
                Comparison(
                    project=project, conversation=c, prompt_message=m, status=Comparison.Status.COMPLETE,
                    rankings_count=PER_COMPARISON, is_gold=rng.random() < 0.03,
                )
                for c, m in zip(conversations, messages, strict=True)
            ]
        )  # fmt: skip
        candidates, quality = [], {}
        for comparison in batch:
            for index in range(K):
                words = max(5, int(rng.lognormvariate(4, 0.6)))
                text = " ".join(["word"] * words) + f" {comparison.id}-{index}"
                if styling.random() < 1 / 3:
                    items = "".join(f"- point {item}\n" for item in range(styling.randint(2, 6)))
                    header = "## Answer\n\n" if styling.random() < 0.7 else ""
                    bold = "**In short:** word." if styling.random() < 0.5 else "In short: word."
                    text = f"{header}{text}\n\n{items}\n{bold}"
                candidates.append(
                    Candidate(
                        comparison=comparison, sample_index=index, text=text, endpoint=endpoints[index % 2],
                        model_name=endpoints[index % 2].model, content_hash=hashlib.sha256(text.encode()).hexdigest(),
                        **candidate_style(text),
                    )
                )  # fmt: skip
        candidates = Candidate.objects.bulk_create(candidates)
        by_comparison: dict[int, list] = {}
        for candidate in candidates:
            by_comparison.setdefault(candidate.comparison_id, []).append(candidate.id)
            quality[candidate.id] = rng.gauss(0.3 if candidate.sample_index % 2 == 0 else 0, 1)
        assignments, ranking_rows, adjudications = [], [], []
        for comparison in batch:
            ids = by_comparison[comparison.id]
            when = start + timedelta(seconds=rng.randint(0, 8 * 7 * 86400))
            for trainer in rng.sample(trainers, PER_COMPARISON):
                shown = rng.sample(ids, K)
                seen = sorted(ids, key=lambda c: -(quality[c] + rng.gauss(0, noise[trainer.id])))
                tiers = [[seen[0]], [seen[1], seen[2]], [seen[3]]] if rng.random() < 0.2 else [[c] for c in seen]
                flags = {str(seen[-1]): [rng.choice(flag_keys)]} if rng.random() < 0.1 else {}
                matches = [t[0] for t in tiers] == shown and len(tiers) == K
                assignments.append(
                    Assignment(
                        comparison=comparison, trainer=trainer, status=Assignment.Status.SUBMITTED,
                        display_order=shown, expires_at=when, finished_at=when,
                    )
                )  # fmt: skip
                ranking_rows.append(
                    Ranking(
                        comparison=comparison, trainer=trainer, tiers=tiers, flags=flags, display_order=shown,
                        matches_display_order=matches, confirmed_display_order=matches,
                        duration_ms=int(rng.lognormvariate(10.5, 0.5)), submitted_at=when,
                    )
                )  # fmt: skip
            if rng.random() < 0.05:
                skipper = rng.choice(trainers)
                assignments.append(
                    Assignment(
                        comparison=comparison, trainer=skipper, status=Assignment.Status.SKIPPED,
                        skip_reason="Cannot judge", display_order=ids, expires_at=when, finished_at=when,
                    )
                )  # fmt: skip
            if comparison.is_gold:
                truth = sorted(ids, key=lambda c: -quality[c])
                adjudications.append(Adjudication(comparison=comparison, lead=lead, tiers=[[c] for c in truth]))
        created = Assignment.objects.bulk_create(assignments)
        submitted = iter(a for a in created if a.status == Assignment.Status.SUBMITTED)
        for ranking in ranking_rows:
            ranking.assignment = next(submitted)
        Ranking.objects.bulk_create(ranking_rows)
        Adjudication.objects.bulk_create(adjudications)
    # auto_now_add ignores the value given: spread the submissions over eight weeks after all.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rankings_ranking r SET submitted_at = a.finished_at FROM labeler_assignment a "
            "WHERE a.id = r.assignment_id"
        )
        cursor.execute("ANALYZE")
    return project, lead


def rate(project) -> int:
    """Give every ranking ratings of each candidate on the default rubric, in one statement: a value
    of the candidate (what trainers agree on) plus each trainer's noise. Returns the ratings written."""
    from django.db import connection

    from labeler.rubric import default_rubric

    project.rubric = default_rubric()
    project.save(update_fields=["rubric"])
    keys = [attribute["key"] for attribute in project.rubric]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO rankings_rating (ranking_id, candidate_id, attribute, value)
            SELECT r.id, ca.id, a.key,
                greatest(0, least(4, abs(hashtext(ca.id::text || a.key)) %% 5 + floor(random() * 3)::int - 1))
            FROM rankings_ranking r
            JOIN labeler_comparison c ON c.id = r.comparison_id
            JOIN labeler_candidate ca ON ca.comparison_id = c.id
            CROSS JOIN unnest(%s::text[]) AS a(key)
            WHERE c.project_id = %s
            """,
            [keys, project.id],
        )
        written = cursor.rowcount
        # The packed copy the statistics read (rankings/ratings.py, `ratings_packed`): the candidate ids
        # shown, then per attribute a signed byte per candidate, in the order shown.
        cursor.execute(
            """
            UPDATE rankings_ranking r SET rating_keys = %s, rating_values = (
                SELECT string_agg(int8send(d.id::bigint), ''::bytea ORDER BY d.place)
                FROM jsonb_array_elements_text(r.display_order::jsonb) WITH ORDINALITY AS d(id, place)
            ) || (
                SELECT string_agg(decode(lpad(to_hex(coalesce(x.value, -128) & 255), 2, '0'), 'hex'), ''::bytea
                    ORDER BY a.place, d.place)
                FROM unnest(%s::text[]) WITH ORDINALITY AS a(key, place)
                CROSS JOIN jsonb_array_elements_text(r.display_order::jsonb) WITH ORDINALITY AS d(id, place)
                LEFT JOIN rankings_rating x
                    ON x.ranking_id = r.id AND x.candidate_id = d.id::bigint AND x.attribute = a.key
            )
            FROM labeler_comparison c WHERE c.id = r.comparison_id AND c.project_id = %s
            """,
            [",".join(keys), keys, project.id],
        )
    return written


def recompute_measure(project_id: int, *, rubric: bool) -> dict:
    """The recompute as the worker runs it, in this process: seconds, CPU, queries and memory."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rankings.rating_stats import rating_stats
    from rankings.stats import project_stats_refresh

    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        project_stats_refresh(project_id=project_id)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The ratings' share of the recompute, timed on its own.
    started = time.perf_counter()
    if rubric:
        from labeler.models import Project

        rating_stats(project=Project.objects.get(id=project_id))
    rating_seconds = time.perf_counter() - started
    # Again under tracemalloc, which slows it down severalfold: the peak of what the computation
    # itself holds.
    tracemalloc.start()
    project_stats_refresh(project_id=project_id)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "recompute_seconds": round(seconds, 2),
        # This process's CPU time alone: on a machine shared with other work it moves less than
        # the wall-clock time (the database's own work is not in it).
        "recompute_cpu_seconds": round(cpu_seconds, 2),
        "recompute_queries": len(queries),
        "recompute_peak_rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
        "recompute_peak_rss_mb": round(rss_after / 1024, 1),
        "recompute_traced_peak_mb": round(traced_peak / 2**20, 1),
        "rating_stats_seconds": round(rating_seconds, 3),
    }


def recompute_in_worker_process(database_url: str, project_id: int, *, rubric: bool) -> dict:
    """`recompute_measure` in a new process, as a Celery worker runs the recompute: not in this one,
    whose heap still holds what the setup built, and whose garbage collections would walk it."""
    command = [sys.executable, __file__, "--database-url", database_url, "--measure-project", str(project_id)]
    if rubric:
        command.append("--rubric")
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rankings", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rubric", action="store_true", help="rate every candidate on HelpSteer2's rubric")
    parser.add_argument("--measure-project", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_project:
        django_on_database(args.database_url)
        print(json.dumps(recompute_measure(args.measure_project, rubric=args.rubric)))
        return
    host = machine()
    django_on_fresh_database(args.database_url)
    started = time.perf_counter()
    project, lead = populate(args.rankings)
    ratings = rate(project) if args.rubric else 0
    from django.db import connection

    with connection.cursor() as cursor:
        # The tables as autovacuum leaves them at rest: the setup's bulk writes (and the rubric's
        # rewrite of every ranking, which submissions never do) would otherwise charge the
        # recompute, the first to read them, for their dead rows and unset hint bits.
        cursor.execute("VACUUM (ANALYZE) rankings_ranking, rankings_rating, labeler_candidate, labeler_comparison")
    setup_seconds = time.perf_counter() - started

    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from rankings.models import ProjectStats, Ranking

    rankings = Ranking.objects.filter(comparison__project=project).count()
    connection.close()
    measured = recompute_in_worker_process(args.database_url, project.id, rubric=args.rubric)
    data = ProjectStats.objects.get(project=project).data

    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    url = reverse("project_dashboard", args=[project.slug])
    client.get(url)  # templates compiled, connection warm
    times = []
    for _ in range(20):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as page_queries:
            response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    print(
        json.dumps(
            {
                "benchmark": "stats",
                "rankings": rankings,
                "comparisons": data["comparisons_ranked"],
                "trainers": data["trainers_count"],
                "setup_seconds": round(setup_seconds, 1),
                **measured,
                "rankings_per_second": round(rankings / measured["recompute_seconds"]),
                "stats_json_kb": round(len(json.dumps(data)) / 1024, 1),
                "dashboard_ms_median": round(statistics.median(times), 1),
                "dashboard_ms_max": round(max(times), 1),
                "dashboard_queries": len(page_queries),
                "dashboard_kb": round(len(response.content) / 1024, 1),
                "agreement_exact": round(data["agreement"]["exact"], 4),
                "krippendorff_alpha": round(data["agreement"]["krippendorff_alpha"], 4),
                "flagged_trainers": len(data["flagged_trainers"]),
                "style_control_battles": data["style_control"]["battles"],
                "length_effect": round(data["style_control"]["effects"][0]["coefficient"], 4),
                "ratings": ratings,
                "rating_alpha": {
                    attribute["key"]: attribute["alpha"] and round(attribute["alpha"], 4)
                    for attribute in (data["ratings"] or {}).get("attributes", [])
                },
                # Other work on a shared machine slows the recompute down: say how busy it was, and
                # how fast the machine's Python ran before the setup (bench/machine.py).
                "load_average_1m": round(os.getloadavg()[0], 2),
                "machine": host,
            }
        )
    )


if __name__ == "__main__":
    main()
