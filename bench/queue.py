"""The trainer's hot path under load: "next comparison" and "submit" through the real views.

A project with 100,000 ready comparisons (K=4, overlap 3) on PostgreSQL, served by gunicorn;
N simulated trainers (threads with their own sessions) loop next → submit over HTTP. Prints
one JSON line: latency percentiles of next and submit per N, submissions per second,
over-assignments (must be 0), and next's p95 on a 1,000-comparison project for flatness.

    .venv/bin/python bench/queue.py [--comparisons 100000] [--seconds 20] [--think-ms 250]

`--think-ms` is the pause of a simulated trainer between actions (real trainers read for
tens of seconds); with 0 the run measures the saturated throughput of this machine instead.
The EXPLAIN ANALYZE of the lease query goes to stderr.
"""

import sys
from pathlib import Path

# Run as a script, this file would shadow the standard library's `queue` module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import Cookie, CookieJar

ROOT = Path(sys.path[0])
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_queue"


def setup_django(database_url: str) -> None:
    import psycopg

    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_project(slug: str, comparisons: int):
    """A project with `comparisons` ready comparisons of 4 candidates, written in bulk SQL."""
    from django.db import connection

    from labeler.models import Project

    project = Project.objects.create(name=slug, slug=slug, k=4, overlap=3, lease_minutes=30)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO labeler_conversation (project_id, external_id, metadata, created_at)
            SELECT %s, 'c' || n, '{}', now() - (%s - n) * interval '1 millisecond' FROM generate_series(1, %s) n;
            INSERT INTO labeler_message (conversation_id, role, content, created_at)
            SELECT id, 'user', 'Question ' || external_id || '?', now() FROM labeler_conversation WHERE project_id = %s;
            INSERT INTO labeler_comparison (project_id, conversation_id, prompt_message_id, status, failure_reason,
                rankings_count, is_gold, created_at, updated_at)
            SELECT c.project_id, c.id, m.id, 'ready', '', 0, false, c.created_at, now()
            FROM labeler_conversation c JOIN labeler_message m ON m.conversation_id = c.id WHERE c.project_id = %s;
            INSERT INTO labeler_candidate (comparison_id, sample_index, source, text, model_name, params,
                finish_reason, content_hash, is_duplicate, created_at)
            SELECT x.id, i, 'import', 'Answer ' || i || ' to comparison ' || x.id, '', '{}', 'stop',
                md5(x.id || '-' || i),
                false, now()
            FROM labeler_comparison x, generate_series(0, 3) i WHERE x.project_id = %s;
            ANALYZE;
            """,
            [project.id, comparisons, comparisons, project.id, project.id, project.id],
        )
    return project


def make_trainers(project, n: int, prefix: str) -> list[str]:
    """Trainers of the project and a logged-in session key for each."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from labeler.models import Membership

    keys = []
    for index in range(n):
        user = get_user_model().objects.create_user(f"{prefix}{index}", password="x")
        Membership.objects.create(user=user, project=project, role="trainer")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


class Trainer(threading.Thread):
    ACTION = re.compile(r'action="(/p/[^"]+/submit/)"')
    ORDER = re.compile(r'data-display-order="([0-9,]+)"')
    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base_url, slug, session_key, deadline, think, results):
        super().__init__(daemon=True)
        self.base_url, self.slug, self.deadline, self.think, self.results = base_url, slug, deadline, think, results
        jar = CookieJar()
        jar.set_cookie(_cookie("sessionid", session_key))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def run(self):
        while time.monotonic() < self.deadline:
            started = time.perf_counter()
            page = self.opener.open(f"{self.base_url}/p/{self.slug}/rank/", timeout=30).read().decode()
            self.results["next"].append(time.perf_counter() - started)
            action, order = self.ACTION.search(page), self.ORDER.search(page)
            if not action:
                return
            time.sleep(self.think)
            tiers = [[int(x)] for x in reversed(order.group(1).split(","))]
            form = urllib.parse.urlencode(
                {
                    "tiers": json.dumps(tiers),
                    "duration_ms": "1000",
                    "csrfmiddlewaretoken": self.TOKEN.search(page).group(1),
                }
            ).encode()
            request = urllib.request.Request(
                f"{self.base_url}{action.group(1)}", data=form, headers={"HX-Request": "true"}
            )
            started = time.perf_counter()
            self.opener.open(request, timeout=30).read()
            self.results["submit"].append(time.perf_counter() - started)
            time.sleep(self.think)


def _cookie(name, value):
    return Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, True, None, None, {})


def percentiles(samples: list[float]) -> dict:
    if len(samples) < 2:
        return {"n": len(samples)}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "n": len(samples),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
    }


def run_load(base_url, project, sessions, seconds, think) -> dict:
    results = {"next": [], "submit": []}
    deadline = time.monotonic() + seconds
    threads = [Trainer(base_url, project.slug, key, deadline, think, results) for key in sessions]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "trainers": len(sessions),
        "next": percentiles(results["next"]),
        "submit": percentiles(results["submit"]),
        "submissions_per_s": round(len(results["submit"]) / elapsed, 1),
        "over_assignments": over_assignments(project),
    }


def over_assignments(project) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM labeler_comparison c
            WHERE c.project_id = %s AND c.rankings_count + (
                SELECT count(*) FROM labeler_assignment a
                WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > now()) > c.overlap_limit
            """.replace("c.overlap_limit", str(project.overlap)),
            [project.id],
        )
        too_many_leases = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM (SELECT comparison_id FROM rankings_ranking r JOIN labeler_comparison c
               ON c.id = r.comparison_id WHERE c.project_id = %s GROUP BY comparison_id HAVING count(*) > %s) x""",
            [project.id, project.overlap],
        )
        return too_many_leases + cursor.fetchone()[0]


def explain_lease(project, user) -> str:
    from django.db import connection, transaction

    from labeler.queue import comparisons_open_to

    with transaction.atomic(), connection.cursor() as cursor:
        queryset = (
            comparisons_open_to(project=project, trainer=user)
            .order_by("-rankings_count", "created_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:1]
        )
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_url: str, workers: int):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0"}
    server = subprocess.Popen(
        [
            Path(sys.executable).parent / "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base_url}/login/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return server, base_url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think-ms", type=float, default=250)
    parser.add_argument("--trainers", default="1,20,100")
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    setup_django(args.database_url)
    big = make_project("bench-100k", args.comparisons)
    small = make_project("bench-1k", 1000)
    counts = [int(n) for n in args.trainers.split(",")]
    sessions = make_trainers(big, max(counts), "t")
    small_sessions = make_trainers(small, 20, "s")
    from django.contrib.auth import get_user_model

    print(explain_lease(big, get_user_model().objects.get(username="t0")), file=sys.stderr)

    server, base_url = serve(args.database_url, args.workers)
    try:
        think = args.think_ms / 1000
        runs = [run_load(base_url, big, sessions[:n], args.seconds, think) for n in counts]
        flat_small = run_load(base_url, small, small_sessions, args.seconds, think)
        saturated = run_load(base_url, big, sessions[:20], args.seconds, 0)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    by_n = {run["trainers"]: run for run in runs}
    print(
        json.dumps(
            {
                "benchmark": "queue",
                "comparisons": args.comparisons,
                "think_ms": args.think_ms,
                "gunicorn_workers": args.workers,
                "runs": runs,
                "next_p95_ms_at_20": by_n.get(20, {}).get("next", {}).get("p95_ms"),
                "next_p95_ms_at_20_on_1k": flat_small["next"].get("p95_ms"),
                "saturated_20_trainers_no_think": {
                    "submissions_per_s": saturated["submissions_per_s"],
                    "next": saturated["next"],
                    "submit": saturated["submit"],
                },
                "over_assignments": sum(run["over_assignments"] for run in [*runs, flat_small, saturated]),
            }
        )
    )


if __name__ == "__main__":
    main()
