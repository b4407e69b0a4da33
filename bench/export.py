"""Streaming a big export through the pipeline API, next to PostgreSQL's own COPY as the floor.

A project of 250,000 complete comparisons (K=4, one ranking each, tiers [[a, b], [c, d]]:
four pairs each, 1,000,000 pairs) is written with SQL; gunicorn serves the API; the `trl`
format is streamed to /dev/null (every text marked scanned for personal data, as the
background scan leaves them, so the export measures itself and not the detector) while the
serving process's RSS is sampled, then streamed again with the length balance on
(`longer_chosen_share=0.5`). The candidates' lengths vary (4 to 7 repeats of a sentence: in
order in even comparisons, rotated by one in odd ones) so that three in four pairs chose the
shorter answer, in runs, and the balance has pairs to hold back and to leave out. Prints one
JSON line: pairs/s, seconds, the COPY floor, the ratio, the RSS growth of the server, and the
balanced stream's seconds, pairs and slow-down against the plain one, in wall time and in the
server's CPU time.

    .venv/bin/python bench/export.py [--comparisons 250000]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

from bench.fresh import django_on_fresh_database
from bench.serve import gunicorn

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_export"

PAIRS_SQL = """
SELECT c.id, m.content, w.text, l.text
FROM rankings_ranking r
JOIN labeler_comparison c ON c.id = r.comparison_id
JOIN labeler_message m ON m.id = c.prompt_message_id,
LATERAL jsonb_array_elements(r.tiers) WITH ORDINALITY AS tw(tier, i),
LATERAL jsonb_array_elements_text(tw.tier) AS wid,
LATERAL jsonb_array_elements(r.tiers) WITH ORDINALITY AS tl(tier, j),
LATERAL jsonb_array_elements_text(tl.tier) AS lid,
labeler_candidate w, labeler_candidate l
WHERE c.project_id = {project} AND tw.i < tl.j AND w.id = wid::bigint AND l.id = lid::bigint
"""

# What the background scan leaves behind: every text of the project scanned, nothing found.
SCANNED_SQL = """
INSERT INTO privacy_piiscan (project_id, message_id, detector, spans_found, scanned_at)
SELECT %(p)s, m.id, 'bench', 0, now()
FROM labeler_message m JOIN labeler_conversation c ON c.id = m.conversation_id WHERE c.project_id = %(p)s;
INSERT INTO privacy_piiscan (project_id, candidate_id, detector, spans_found, scanned_at)
SELECT %(p)s, ca.id, 'bench', 0, now()
FROM labeler_candidate ca JOIN labeler_comparison x ON x.id = ca.comparison_id WHERE x.project_id = %(p)s;
ANALYZE;
"""


def setup(database_url: str, comparisons: int):
    django_on_fresh_database(database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from exports.tokens import token_create
    from labeler.models import Membership, Project

    # The rows below were completed "long ago": by a transaction id below every live one.
    user = get_user_model().objects.create_user("bench")
    project = Project.objects.create(name="bench", slug="bench", k=4, overlap=1)
    Membership.objects.create(user=user, project=project, role="lead")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO labeler_conversation (project_id, external_id, metadata, created_at)
            SELECT %(p)s, 'c' || n, '{}', now() FROM generate_series(1, %(n)s) n;
            INSERT INTO labeler_message (conversation_id, role, content, created_at)
            SELECT id, 'user', 'Explain, in a few sentences, question number ' || external_id || '.', now()
            FROM labeler_conversation WHERE project_id = %(p)s;
            INSERT INTO labeler_comparison (project_id, conversation_id, prompt_message_id, status, failure_reason,
                rankings_count, is_gold, created_at, updated_at, completed_at, completed_xid)
            SELECT c.project_id, c.id, m.id, 'complete', '', 1, false, now(), now(), now(), 3
            FROM labeler_conversation c JOIN labeler_message m ON m.conversation_id = c.id WHERE c.project_id = %(p)s;
            INSERT INTO labeler_candidate (comparison_id, sample_index, source, text, model_name, params,
                finish_reason, prompt_tokens, completion_tokens, content_hash, is_duplicate, created_at)
            SELECT x.id, i, 'model',
                repeat('A candidate answer with some length to it. ', (4 + (i + x.id %% 2) %% 4)::int) || i,
                'smollm2', '{"temperature": 0.9}', 'stop', 20, 60, md5(x.id || '-' || i), false, now()
            FROM labeler_comparison x, generate_series(0, 3) i WHERE x.project_id = %(p)s;
            INSERT INTO rankings_ranking (comparison_id, trainer_id, tiers, flags, rationale, none_acceptable,
                duration_ms, display_order, matches_display_order, confirmed_display_order, submitted_at)
            SELECT x.id, %(u)s, jsonb_build_array(jsonb_build_array(x.ids[1], x.ids[2]),
                jsonb_build_array(x.ids[3], x.ids[4])), '{}', '', false, 30000, to_jsonb(x.ids), false, false, now()
            FROM (SELECT comparison_id AS id, array_agg(id ORDER BY sample_index) AS ids
                  FROM labeler_candidate GROUP BY comparison_id) x;
            ANALYZE;
            """,
            {"p": project.id, "n": comparisons, "u": user.id},
        )
    _, secret = token_create(project=project, name="bench", user=user)
    return project, secret


def rss_kb(pid: int) -> int:
    total = 0
    for candidate in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server and its workers: on a busy machine it shows the
    server's own work where wall time shows everyone's."""
    total = 0
    for candidate in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def stream(url: str, secret: str) -> tuple[int, int, float]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    started, lines, size = time.perf_counter(), 0, 0
    with urllib.request.urlopen(request, timeout=600) as response, open(os.devnull, "wb") as sink:
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
            sink.write(chunk)
    return lines, size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--comparisons", type=int, default=250_000)
    args = parser.parse_args()
    project, secret = setup(args.database_url, args.comparisons)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SCANNED_SQL, {"p": project.id})

    started = time.perf_counter()
    copy = subprocess.run(
        ["psql", args.database_url, "-c", f"COPY ({PAIRS_SQL.format(project=project.id)}) TO STDOUT"],
        stdout=subprocess.PIPE,
        check=True,
    )
    copy_seconds = time.perf_counter() - started
    copy_rows = copy.stdout.count(b"\n")

    with gunicorn("--workers", "1", "--timeout", "600", "--log-level", "warning") as server:
        url = f"{server.url}/api/v1/projects/{project.slug}/comparisons?format=trl"
        stream(f"{url}&limit=10", secret)  # warm the worker: imports, connection
        baseline = rss_kb(server.process.pid)
        peak, done = baseline, threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_kb(server.process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu = cpu_seconds(server.process.pid)
        pairs, size, seconds = stream(url, secret)
        cpu = cpu_seconds(server.process.pid) - cpu
        done.set()
        sampler.join()
        balanced_cpu = cpu_seconds(server.process.pid)
        balanced_pairs, _, balanced_seconds = stream(f"{url}&longer_chosen_share=0.5", secret)
        balanced_cpu = cpu_seconds(server.process.pid) - balanced_cpu
    print(
        json.dumps(
            {
                "benchmark": "export",
                "comparisons": args.comparisons,
                "format": "trl",
                "pairs": pairs,
                "bytes": size,
                "seconds": round(seconds, 2),
                "pairs_per_s": round(pairs / seconds),
                "copy_floor_rows": copy_rows,
                "copy_floor_seconds": round(copy_seconds, 2),
                "ratio_to_copy": round(seconds / copy_seconds, 2),
                "server_rss_baseline_mb": round(baseline / 1024, 1),
                "server_rss_growth_mb": round((peak - baseline) / 1024, 1),
                "balanced_pairs": balanced_pairs,
                "balanced_seconds": round(balanced_seconds, 2),
                "balanced_slowdown": round(balanced_seconds / seconds, 2),
                "server_cpu_seconds": round(cpu, 2),
                "balanced_server_cpu_seconds": round(balanced_cpu, 2),
                "balanced_cpu_slowdown": round(balanced_cpu / cpu, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
