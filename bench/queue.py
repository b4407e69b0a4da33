"""The trainer's hot path under load: "next comparison" and "submit" through the real views.

A project with 100,000 ready comparisons (K=4, overlap 3) on PostgreSQL, served by gunicorn;
N simulated trainers (threads with their own sessions) loop next → submit over HTTP. Prints
one JSON line: latency percentiles of next and submit per N, submissions per second,
over-assignments (must be 0), next's p95 on a 1,000-comparison project for flatness, and the
machine it ran on (bench/machine.py: hosts of one kind differ by up to three times in speed).

    .venv/bin/python bench/queue.py [--comparisons 100000] [--seconds 20] [--think-ms 1000] [--queue-order oldest]

`--queue-order informative` runs the projects "most informative first": the lease walks the
queue score's index, and every submission rescores its comparison.

`--think-ms` is the pause of a simulated trainer between actions. Real trainers read and
rank for tens of seconds; the default, one second, is still ten times faster than the fastest
of them, so N=100 here is a far heavier load than a team of a hundred. The extra run with no
pause at all measures the saturated throughput of this machine.
The plans of the statements inside the lease function (auto_explain, one lease rolled back) go to stderr.
"""

import sys
from pathlib import Path

# Run as a script, this file would shadow the standard library's `queue` module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import random
import re
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import Cookie, CookieJar

import redis

from bench.fresh import django_on_fresh_database
from bench.machine import machine
from bench.serve import gunicorn

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_queue"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"


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
        jar.set_cookie(session_cookie("sessionid", session_key))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def pause(self):
        # Trainers do not act in lockstep: each pause is drawn around the mean.
        time.sleep(random.uniform(0.5, 1.5) * self.think)

    def run(self):
        self.pause()
        while time.monotonic() < self.deadline:
            started = time.perf_counter()
            try:
                page = self.opener.open(f"{self.base_url}/p/{self.slug}/rank/", timeout=30).read().decode()
            except urllib.error.HTTPError:
                self.results["errors"].append(1)
                self.pause()
                continue
            self.results["next"].append(time.perf_counter() - started)
            action, order = self.ACTION.search(page), self.ORDER.search(page)
            if not action:
                return
            self.pause()
            tiers = [[int(x)] for x in reversed(order.group(1).split(","))]
            form = urllib.parse.urlencode(
                {
                    "tiers": json.dumps(tiers),
                    "duration_ms": "1000",
                    "csrfmiddlewaretoken": self.TOKEN.search(page).group(1),
                }
            ).encode()
            # A plain form post answers with a redirect to "next", which the loop then follows and
            # times: so "next" is always a real claim, and "submit" only the ranking's write. (With
            # htmx the submit response carries the next comparison, claimed in the same request.)
            request = urllib.request.Request(f"{self.base_url}{action.group(1)}", data=form)
            started = time.perf_counter()
            try:
                self.opener.open(request, timeout=30).read()
                self.results["refused"].append(1)  # re-rendered with an error instead of redirecting
            except urllib.error.HTTPError as answer:
                if answer.code != 302:
                    self.results["errors"].append(1)
            self.results["submit"].append(time.perf_counter() - started)
            self.pause()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session_cookie(name, value):
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


def run_load(url: str, access_log: Path, project, sessions, seconds, think) -> dict:
    results = {"next": [], "submit": [], "refused": [], "errors": []}
    deadline = time.monotonic() + seconds
    threads = [Trainer(url, project.slug, key, deadline, think, results) for key in sessions]
    log_start = access_log.stat().st_size
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    served = server_times(access_log, log_start, project.slug)
    return {
        "trainers": len(sessions),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "next": percentiles(results["next"]),
        "submit": percentiles(results["submit"]),
        "next_in_server": percentiles(served["next"]),
        "submit_in_server": percentiles(served["submit"]),
        "submissions_per_s": round(len(results["submit"]) / elapsed, 1),
        "refused_submissions": len(results["refused"]),
        "server_errors": len(results["errors"]),
        "over_assignments": over_assignments(project),
    }


def server_times(access_log: Path, offset: int, slug: str) -> dict:
    """The time gunicorn itself spent on each request (from its access log), without the client's share."""
    times = {"next": [], "submit": []}
    with access_log.open() as log:
        log.seek(offset)
        for line in log:
            method, path, micros = line.split()
            if method == "GET" and path == f"/p/{slug}/rank/":
                times["next"].append(int(micros) / 1e6)
            elif method == "POST" and path.startswith(f"/p/{slug}/rank/") and path.endswith("/submit/"):
                times["submit"].append(int(micros) / 1e6)
    return times


def analyze(*, vacuum: bool = False) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def over_assignments(project) -> int:
    """Comparisons holding more rankings plus live leases than the overlap, or a count out of step."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM labeler_comparison c
            WHERE c.project_id = %s AND (
                c.rankings_count + (
                    SELECT count(*) FROM labeler_assignment a
                    WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > now()
                ) > %s
                OR c.rankings_count <> (SELECT count(*) FROM rankings_ranking r WHERE r.comparison_id = c.id)
            )
            """,
            [project.id, project.overlap],
        )
        return cursor.fetchone()[0]


def explain_lease(project, user) -> list[str]:
    """The plans of the statements inside `ranklab_lease_next`, as it runs them, by auto_explain.

    One real lease, rolled back: the plans come to this client as LOG notices.
    """
    import psycopg

    from labeler.queue import PREFERENCE_WINDOW

    plans: list[str] = []
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        connection.add_notice_handler(lambda notice: plans.append(notice.message_primary))
        connection.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_analyze = on", "log_nested_statements = on"):
            connection.execute(f"SET auto_explain.{setting}")
        connection.execute("SET client_min_messages = log")
        connection.execute(
            "SELECT * FROM ranklab_lease_next(%s, %s, %s, %s, %s, 1, false, %s)",
            [project.id, user.id, project.overlap, project.lease_minutes, PREFERENCE_WINDOW, project.queue_order],
        )
        connection.rollback()
    return plans


# Each claim step: what marks its statement, and the alias of the comparisons it walks in queue order.
CLAIM_STEPS = {
    "partly_ranked": ("WITH head AS MATERIALIZED", "w"),
    "fresh": ("c.rankings_count = 0", "c"),
    "most_informative": ("ORDER BY c.queue_score DESC", "c"),
}


def plan_summary(plans: list[str]) -> dict:
    """For each claim step the lease ran: the index it walks, the rows it walked, and its time."""
    summary = {}
    for plan in plans:
        for step, (marker, alias) in CLAIM_STEPS.items():
            if marker not in plan or "FOR UPDATE" not in plan:
                continue
            walk = rf"(?:Index (?:Only )?Scan using (\w+) on labeler_comparison {alias} |Bitmap Index Scan on (\w+) )"
            scan = re.search(walk + r".*?rows=(\d+) loops", plan)
            summary[step] = {
                "index": scan and (scan.group(1) or scan.group(2)),
                "rows_walked": scan and int(scan.group(3)),
                "execution_ms": float(re.search(r"duration: ([0-9.]+) ms", plan).group(1)),
            }
    return summary


def access_logged(workers: int, threads: int) -> tuple[tuple[str, ...], Path]:
    """gunicorn's options for this run, with an access log of the time spent on each request."""
    access_log = Path(tempfile.mkdtemp(prefix="bench-queue-")) / "access.log"
    options = ("--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
               "--access-logfile", str(access_log), "--access-logformat", "%(m)s %(U)s %(D)s")  # fmt: skip
    return options, access_log


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think-ms", type=float, default=1000)
    parser.add_argument("--trainers", default="1,20,100")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--queue-order", choices=["oldest", "informative"], default="oldest")
    args = parser.parse_args()

    host = machine()
    # Like production: the cache (the stats trigger counts submissions in it), sessions and the broker on Redis.
    django_on_fresh_database(args.database_url, redis_url=args.redis_url)
    big = make_project("bench-100k", args.comparisons)
    small = make_project("bench-1k", 1000)
    for project in (big, small):
        project.queue_order = args.queue_order
        project.save(update_fields=["queue_order"])
    counts = [int(n) for n in args.trainers.split(",")]
    sessions = make_trainers(big, max(counts), "t")
    small_sessions = make_trainers(small, 20, "s")
    warmup = make_project("bench-warmup", 1000)
    warmup_sessions = make_trainers(warmup, 12, "w")
    from django.contrib.auth import get_user_model

    first_trainer = get_user_model().objects.get(username="t0")
    plan_fresh = explain_lease(big, first_trainer)
    print(*plan_fresh, sep="\n", file=sys.stderr)

    options, access_log = access_logged(args.workers, args.threads)
    try:
        with gunicorn(*options) as server:
            think = args.think_ms / 1000

            def load(project, sessions, think):
                return run_load(server.url, access_log, project, sessions, args.seconds, think)

            # Every gunicorn worker builds its URL resolver, templates and connection on first use.
            run_load(server.url, access_log, warmup, warmup_sessions, 3, 0)
            # The tables as autovacuum keeps them on a running system: statistics, not those of empty
            # tables, and the bulk-written rows vacuumed. Unvacuumed, the timed requests were the
            # first to read each freshly written page (setting its hint bits, with no visibility
            # map for the index-only scans): N=20's p95 was 77 ms instead of 22 on the same code.
            analyze(vacuum=True)
            runs = [load(big, sessions[:n], think) for n in counts]
            flat_small = load(small, small_sessions, think)
            saturated = load(big, sessions[:20], 0)
    finally:
        # No worker ran: drop the statistics refreshes the submissions enqueued.
        redis.Redis.from_url(args.redis_url).delete("celery")
    # Again with the queue in the state the runs left it: rankings, a frontier, live leases.
    analyze()
    plan_after = explain_lease(big, first_trainer)
    plan_small = explain_lease(small, get_user_model().objects.get(username="s0"))
    print(*plan_after, *plan_small, sep="\n", file=sys.stderr)
    at_20 = next((run for run in runs if run["trainers"] == 20), {})
    print(
        json.dumps(
            {
                "benchmark": "queue",
                "comparisons": args.comparisons,
                "queue_order": args.queue_order,
                "think_ms": args.think_ms,
                "gunicorn": {"workers": args.workers, "threads": args.threads},
                "machine": host,
                "runs": runs,
                "next_p95_ms_at_20": at_20.get("next", {}).get("p95_ms"),
                "next_p95_ms_at_20_in_server": at_20.get("next_in_server", {}).get("p95_ms"),
                "next_p95_ms_at_20_on_1k": flat_small["next"].get("p95_ms"),
                "next_p95_ms_at_20_on_1k_in_server": flat_small["next_in_server"].get("p95_ms"),
                "saturated_20_trainers_no_think": {
                    key: saturated[key]
                    for key in ("submissions_per_s", "next", "submit", "next_in_server", "submit_in_server")
                },
                "over_assignments": sum(run["over_assignments"] for run in [*runs, flat_small, saturated]),
                "lease_query_plan": {
                    "fresh_100k": plan_summary(plan_fresh),
                    "after_runs_100k": plan_summary(plan_after),
                    "after_runs_1k": plan_summary(plan_small),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
